import { systemClock, type Clock } from '../shared/clock.js';
import { decodeApdu, encodeApdu, type Apdu } from '../dlms/apdu/apdu.js';
import { actionResultError } from '../dlms/apdu/action-result.js';
import { dataAccessError } from '../dlms/apdu/data-access-result.js';
import { formatAttribute, type AttributeDescriptor, type SelectiveAccess } from '../dlms/apdu/descriptors.js';
import type { AttributeWithSelection, GetResponseWithDatablock } from '../dlms/apdu/get.js';
import type { InvokeIdAndPriority } from '../dlms/apdu/invoke-id.js';
import type { DlmsData } from '../dlms/axdr/types.js';
import { DlmsError } from '../dlms/errors.js';
import { acceptAare, buildAarq, type Authentication, type NegotiatedAssociation } from '../dlms/session/association.js';
import { BlockCollector, decodeBlockListResults, decodeBlockValue } from '../dlms/session/block-transfer.js';
import { InvokeIds } from '../dlms/session/invoke-ids.js';
import { dataOrError, expectResponse } from '../dlms/session/responses.js';
import { planWithList } from '../dlms/session/with-list.js';
import { ClientError, meterError, MeterError, type MeterStep } from './errors.js';
import type { ApduLink } from './link.js';

export interface DlmsClientOptions {
  link: ApduLink;
  /** The meter's name in errors and logs (serial number, metering point or address). */
  meter: string;
  authentication: Authentication;
  /** Time to wait for each answer. RS485 meters answer within ~0.5 s; RF links need several seconds. */
  responseTimeoutMs?: number;
  /** How often one request is sent again after a timeout, on links that allow it. */
  retries?: number;
  /**
   * GET-with-list use: 'auto' uses it when the meter grants multiple-references and falls back to single
   * GETs when the meter refuses it anyway; 'never' for models known to mishandle it.
   */
  withList?: 'auto' | 'never';
  /** The meter's own limit on attributes per with-list request (not negotiated; per model). */
  maxListItems?: number;
  maxReceivePduSize?: number;
  clock?: Clock;
}

/** The outcome of one attribute in a list read: a failure of one attribute does not fail the others. */
export type AttributeResult = { ok: true; data: DlmsData } | { ok: false; error: MeterError };

/**
 * A DLMS/COSEM client for one meter and one association at a time: open (data link + AARQ), GET (normal,
 * with-list, with block transfer), SET, ACTION, close (RLRQ + link release). Each step is bounded by a
 * timeout and a number of retries, and every failure is a MeterError naming the meter, the step and the
 * cause. The protocol decisions live in src/dlms/session; this class only sequences them over a link.
 */
export class DlmsClient {
  private readonly link: ApduLink;
  private readonly meter: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly clock: Clock;
  private readonly ids = new InvokeIds();
  private negotiated: NegotiatedAssociation | undefined;
  private listRefused = false;

  constructor(private readonly options: DlmsClientOptions) {
    this.link = options.link;
    this.meter = options.meter;
    this.timeoutMs = options.responseTimeoutMs ?? 3000;
    this.retries = options.retries ?? 2;
    this.clock = options.clock ?? systemClock;
  }

  get association(): NegotiatedAssociation | undefined {
    return this.negotiated;
  }

  get isOpen(): boolean {
    return this.negotiated !== undefined;
  }

  /** Opens the data link and the application association. */
  async open(): Promise<NegotiatedAssociation> {
    try {
      await this.link.connect();
    } catch (e) {
      await this.link.disconnect();
      throw meterError(e, this.meter, 'connect');
    }
    try {
      const aarq = buildAarq({ authentication: this.options.authentication, maxReceivePduSize: this.options.maxReceivePduSize ?? 0xffff });
      const answer = await this.exchange(aarq, undefined, 'associate');
      this.negotiated = acceptAare(expectResponse(answer, ['aare'], undefined, 'association'));
      return this.negotiated;
    } catch (e) {
      await this.link.disconnect();
      throw meterError(e, this.meter, 'associate');
    }
  }

  /** Reads one attribute, following block transfer to the last block. */
  async get(attribute: AttributeDescriptor, access?: SelectiveAccess): Promise<DlmsData> {
    const target = formatAttribute(attribute);
    this.requireOpen('get', target);
    try {
      const invoke = this.ids.next();
      const answer = await this.exchange({ type: 'get-request-normal', invoke, attribute, access }, invoke, 'get');
      const response = expectResponse(answer, ['get-response-normal', 'get-response-with-datablock'], invoke, target);
      if (response.type === 'get-response-normal') return dataOrError(response.result, target);
      return decodeBlockValue(await this.collectBlocks(response, target, 'get'));
    } catch (e) {
      throw meterError(e, this.meter, 'get', target);
    }
  }

  /**
   * Reads many attributes: GET-with-list in batches that fit the meter's limits when it grants
   * multiple-references, single GETs otherwise. Each attribute gets its own result.
   */
  async getList(items: readonly AttributeWithSelection[]): Promise<AttributeResult[]> {
    const negotiated = this.requireOpen('get-list');
    const useList =
      items.length > 1 &&
      this.options.withList !== 'never' &&
      !this.listRefused &&
      negotiated.conformance.has('multiple-references');
    if (!useList) return this.getEach(items);

    const batches = planWithList(items, {
      maxRequestBytes: Math.min(negotiated.serverMaxReceivePduSize, this.link.maxRequestApdu),
      maxItems: this.options.maxListItems ?? 10,
    });
    const results: AttributeResult[] = [];
    for (const batch of batches) {
      if (batch.length === 1 || this.listRefused) {
        results.push(...(await this.getEach(batch)));
        continue;
      }
      try {
        results.push(...(await this.getBatch(batch)));
      } catch (e) {
        // Meters that grant multiple-references and then refuse the list exist; the vectors hold one.
        if (e instanceof MeterError && e.code === 'METER_SERVICE_REFUSED') {
          this.listRefused = true;
          results.push(...(await this.getEach(batch)));
        } else {
          throw e;
        }
      }
    }
    return results;
  }

  async set(attribute: AttributeDescriptor, value: DlmsData): Promise<void> {
    const target = formatAttribute(attribute);
    this.requireOpen('set', target);
    try {
      const invoke = this.ids.next();
      const answer = await this.exchange({ type: 'set-request-normal', invoke, attribute, value }, invoke, 'set');
      const response = expectResponse(answer, ['set-response-normal'], invoke, target);
      if (response.result !== 0) throw dataAccessError(response.result, target);
    } catch (e) {
      throw meterError(e, this.meter, 'set', target);
    }
  }

  async action(method: { classId: number; instanceId: AttributeDescriptor['instanceId']; methodId: number }, parameters?: DlmsData): Promise<DlmsData | undefined> {
    const target = `${method.classId}/${method.instanceId}/m${method.methodId}`;
    this.requireOpen('action', target);
    try {
      const invoke = this.ids.next();
      const answer = await this.exchange({ type: 'action-request-normal', invoke, method, parameters }, invoke, 'action');
      const response = expectResponse(answer, ['action-response-normal'], invoke, target);
      if (response.result !== 0) throw actionResultError(response.result, target);
      return response.returnParameters ? dataOrError(response.returnParameters, target) : undefined;
    } catch (e) {
      throw meterError(e, this.meter, 'action', target);
    }
  }

  /**
   * Releases the association (RLRQ) and the link. A meter that does not answer the release is still
   * disconnected: the reading is already safe, and the next session starts with a fresh link anyway.
   */
  async close(): Promise<void> {
    if (this.negotiated) {
      this.negotiated = undefined;
      try {
        const answer = await this.exchange({ type: 'rlrq', reason: 0 }, undefined, 'release');
        expectResponse(answer, ['rlre'], undefined, 'release');
      } catch {
        // see above: release failures are not reading failures
      }
    }
    await this.link.disconnect();
  }

  private async getBatch(batch: readonly AttributeWithSelection[]): Promise<AttributeResult[]> {
    const targets = batch.map((i) => formatAttribute(i.attribute));
    const label = `${batch.length} attributes`;
    try {
      const invoke = this.ids.next();
      const answer = await this.exchange({ type: 'get-request-with-list', invoke, items: batch }, invoke, 'get-list');
      const response = expectResponse(answer, ['get-response-with-list', 'get-response-with-datablock'], invoke, label);
      let results;
      if (response.type === 'get-response-with-list') {
        results = response.results;
      } else {
        // A long list answer comes in blocks whose content is the with-list result sequence.
        results = decodeBlockListResults(await this.collectBlocks(response, label, 'get-list'));
      }
      if (results.length !== batch.length) {
        throw new DlmsError('DLMS_BAD_APDU', `with-list answer has ${results.length} results for ${batch.length} attributes`);
      }
      return results.map((r, i) => {
        const target = targets[i]!;
        if (r.type === 'data') return { ok: true, data: r.data };
        return { ok: false, error: meterError(dataAccessError(r.result, target), this.meter, 'get', target) };
      });
    } catch (e) {
      throw meterError(e, this.meter, 'get-list', label);
    }
  }

  private async getEach(items: readonly AttributeWithSelection[]): Promise<AttributeResult[]> {
    const results: AttributeResult[] = [];
    for (const item of items) {
      try {
        results.push({ ok: true, data: await this.get(item.attribute, item.access) });
      } catch (e) {
        const error = meterError(e, this.meter, 'get', formatAttribute(item.attribute));
        // An attribute the meter lacks or forbids fails alone; a dead link fails the whole read.
        if (!['METER_OBJECT_UNDEFINED', 'METER_ACCESS_DENIED', 'METER_DATA_ACCESS'].includes(error.code)) throw error;
        results.push({ ok: false, error });
      }
    }
    return results;
  }

  /**
   * Follows a block transfer to its last block: each GetRequest-Next acknowledges the block received
   * (IEC 62056-5-3 §9.4.6.4). Returns the raw bytes of the whole answer.
   */
  private async collectBlocks(first: GetResponseWithDatablock, target: string, step: MeterStep): Promise<Uint8Array> {
    const collector = new BlockCollector(target);
    let block = first;
    for (;;) {
      const raw = collector.add(block);
      if (raw !== undefined) return raw;
      const next = this.ids.next();
      const answer = await this.exchange({ type: 'get-request-next', invoke: next, blockNumber: collector.blockNumber }, next, step);
      block = expectResponse(answer, ['get-response-with-datablock'], next, target);
    }
  }

  private requireOpen(step: MeterStep, target?: string): NegotiatedAssociation {
    if (!this.negotiated) {
      throw meterError(new ClientError('CLIENT_NOT_OPEN', 'no association is open: call open() first'), this.meter, step, target);
    }
    return this.negotiated;
  }

  /**
   * Sends one request and waits for its answer. On links that allow it a timed-out request is sent again
   * (with its invoke-id, so a late answer to the first copy still matches); answers to earlier requests
   * that arrive late are dropped rather than taken for this one. AARE and RLRE carry no invoke-id: the
   * second answer to a resent AARQ arrives after the first was taken, while the client already waits for
   * its first GET; it can only belong to an AARQ, so it is dropped too.
   */
  private async exchange(request: Apdu, invoke: InvokeIdAndPriority | undefined, step: MeterStep): Promise<Apdu> {
    const bytes = encodeApdu(request);
    const attempts = this.link.resendsOnTimeout ? this.retries + 1 : 1;
    // On HDLC the data link re-polls by itself: the overall wait covers all its retries.
    const waitMs = this.link.resendsOnTimeout ? this.timeoutMs : this.timeoutMs * (this.retries + 2);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      await this.link.send(bytes);
      const deadline = this.clock.now() + waitMs;
      try {
        for (;;) {
          const remaining = Math.max(1, deadline - this.clock.now());
          const answer = decodeApdu(await this.link.receive(remaining));
          if (invoke && 'invoke' in answer && answer.invoke.invokeId !== invoke.invokeId) continue;
          if (isLateAssociationAnswer(request, answer)) continue;
          return answer;
        }
      } catch (e) {
        lastError = e;
        if (!(e instanceof ClientError && e.code === 'CLIENT_TIMEOUT')) throw e;
      }
    }
    throw lastError instanceof ClientError
      ? new ClientError('CLIENT_TIMEOUT', `no answer to ${step} after ${attempts} attempt(s) of ${waitMs} ms`, { cause: lastError, context: { step } })
      : lastError;
  }
}

/** An association answer (AARE, RLRE) that arrives while another kind of request waits: a late duplicate. */
function isLateAssociationAnswer(request: Apdu, answer: Apdu): boolean {
  if (answer.type === 'aare') return request.type !== 'aarq';
  if (answer.type === 'rlre') return request.type !== 'rlrq';
  return false;
}
