import { ByteWriter } from '../../src/shared/bytes.js';
import type { ActionRequestNormal, ActionResponseNormal } from '../../src/dlms/apdu/action.js';
import { ACTION_RESULTS } from '../../src/dlms/apdu/action-result.js';
import { decodeApdu, encodeApdu, type Apdu } from '../../src/dlms/apdu/apdu.js';
import type { ConformanceBit } from '../../src/dlms/apdu/conformance.js';
import { DATA_ACCESS_RESULTS } from '../../src/dlms/apdu/data-access-result.js';
import type { AttributeDescriptor, SelectiveAccess } from '../../src/dlms/apdu/descriptors.js';
import type { ExceptionResponse } from '../../src/dlms/apdu/exception.js';
import {
  writeGetDataResult,
  type GetDataResult,
  type GetRequestNormal,
  type GetRequestWithList,
  type GetResponseNormal,
} from '../../src/dlms/apdu/get.js';
import type { SetRequestNormal } from '../../src/dlms/apdu/set.js';
import { writeLength } from '../../src/dlms/axdr/length.js';
import { encodeData } from '../../src/dlms/axdr/encode.js';
import type { DlmsData } from '../../src/dlms/axdr/types.js';
import { isDlmsError } from '../../src/dlms/errors.js';
import { associate, METER_CONFORMANCE, type Association, type AssociationPolicy } from './association-policy.js';
import { continueLongGet, startLongGet, type LongGet } from './long-get.js';
import { isRefusal, type CosemObjectModel } from './object-model.js';

/**
 * The DLMS application layer of one simulated meter on one connection (IEC 62056-5-3 §7–9), pure: APDU
 * bytes in, response APDU bytes out. No I/O and no timers; the time comes from the object model.
 *
 * - ACSE: AARQ → AARE (association-policy.ts), RLRQ → RLRE. One association per client SAP, as a meter
 *   keeps one per SAP; a new AARQ from the same SAP replaces it.
 * - xDLMS: GET normal / next / with-list, SET normal, ACTION normal, within the negotiated conformance;
 *   a service outside it, or any service before the AARQ, gets an ExceptionResponse as real meters send.
 * - Answers longer than the negotiated PDU go out as GET-with-datablock (long-get.ts).
 * - A refusal or an exception from the object model becomes a Data-Access-Result / Action-Result: the
 *   simulator answers, it never crashes on a request.
 */
export interface ApplicationServerOptions {
  readonly objects: CosemObjectModel;
  /** LLS secret of the reading client (SAP 17). */
  readonly readingPassword: string;
  /** LLS secret of the management client (SAP 1); default: the reading password. */
  readonly managementPassword?: string | undefined;
  /** The meter's server-max-receive-pdu-size (default 1024). */
  readonly maxPduSize?: number | undefined;
  /** false imitates a meter without multiple-references: GET-with-list is refused (default true). */
  readonly multipleReferences?: boolean | undefined;
}

/** ExceptionResponse state-error / service-error values (IEC 62056-5-3 §8, ExceptionResponse). */
const STATE = { serviceNotAllowed: 1, serviceUnknown: 2 } as const;
const SERVICE = { operationNotPossible: 1, serviceNotSupported: 2, otherReason: 3, pduTooLong: 4 } as const;

function exception(stateError: number, serviceError: number): ExceptionResponse {
  return { type: 'exception-response', stateError, serviceError };
}

function accessResult(name: string): number {
  return (DATA_ACCESS_RESULTS as Record<string, number>)[name] ?? DATA_ACCESS_RESULTS['other-reason'];
}

function actionResult(name: string): number {
  return (ACTION_RESULTS as Record<string, number>)[name] ?? ACTION_RESULTS['other-reason'];
}

const refused = (name: string): GetDataResult => ({ type: 'data-access-result', result: accessResult(name) });

export class ApplicationServer {
  private readonly objects: CosemObjectModel;
  private readonly policy: AssociationPolicy;
  private readonly associations = new Map<number, Association>();
  private readonly transfers = new Map<number, LongGet>();

  constructor(options: ApplicationServerOptions) {
    this.objects = options.objects;
    const supported = new Set<ConformanceBit>(METER_CONFORMANCE);
    if (options.multipleReferences === false) supported.delete('multiple-references');
    this.policy = {
      readingPassword: options.readingPassword,
      managementPassword: options.managementPassword ?? options.readingPassword,
      maxPduSize: options.maxPduSize ?? 1024,
      conformance: supported,
    };
  }

  /** The association open for a client SAP, if any. */
  associationOf(clientSap: number): Association | undefined {
    return this.associations.get(clientSap);
  }

  /** The link went down (HDLC DISC, TCP close): every association ends with it. */
  reset(): void {
    if (this.associations.size > 0) this.objects.associationChanged?.(false);
    this.associations.clear();
    this.transfers.clear();
  }

  handle(apduBytes: Uint8Array, clientSap: number): Uint8Array[] {
    return this.respond(apduBytes, clientSap).map(encodeApdu);
  }

  private respond(bytes: Uint8Array, clientSap: number): Apdu[] {
    if (bytes.length > this.policy.maxPduSize) return [exception(STATE.serviceNotAllowed, SERVICE.pduTooLong)];
    let apdu: Apdu;
    try {
      apdu = decodeApdu(bytes);
    } catch (e) {
      if (!isDlmsError(e)) throw e;
      return [exception(STATE.serviceUnknown, SERVICE.serviceNotSupported)];
    }
    if (apdu.type === 'aarq') {
      this.transfers.delete(clientSap);
      const outcome = associate(apdu, clientSap, this.policy);
      if (outcome.accepted) this.associations.set(clientSap, outcome.association);
      else this.associations.delete(clientSap);
      if (outcome.accepted) this.objects.associationChanged?.(true);
      return [outcome.aare];
    }
    if (apdu.type === 'rlrq') {
      if (this.associations.delete(clientSap) && this.associations.size === 0) this.objects.associationChanged?.(false);
      this.transfers.delete(clientSap);
      return [{ type: 'rlre', reason: 0 }];
    }
    const association = this.associations.get(clientSap);
    if (association === undefined) return [exception(STATE.serviceNotAllowed, SERVICE.operationNotPossible)];
    if (apdu.type !== 'get-request-next') this.transfers.delete(clientSap); // any other request ends a long GET
    switch (apdu.type) {
      case 'get-request-normal':
        return [this.getNormal(association, apdu)];
      case 'get-request-next': {
        const step = continueLongGet(this.transfers.get(clientSap), apdu);
        if (step.transfer) this.transfers.set(clientSap, step.transfer);
        else this.transfers.delete(clientSap);
        return [step.response];
      }
      case 'get-request-with-list':
        return [this.getWithList(association, apdu)];
      case 'set-request-normal':
        return [this.setNormal(association, apdu)];
      case 'action-request-normal':
        return [this.actionNormal(association, apdu)];
      default:
        return [exception(STATE.serviceUnknown, SERVICE.serviceNotSupported)]; // a response, or a client-only APDU
    }
  }

  private allowed(a: Association, ...bits: ConformanceBit[]): boolean {
    return bits.every((b) => a.conformance.has(b));
  }

  private read(a: Association, attribute: AttributeDescriptor, access: SelectiveAccess | undefined): GetDataResult {
    const ref = { classId: attribute.classId, obis: attribute.instanceId, attribute: attribute.attributeId };
    try {
      const r = access === undefined ? this.objects.get(ref, a.level) : this.objects.get(ref, a.level, { selector: access.selector, parameters: access.parameters });
      if (isRefusal(r)) return refused(r.error);
      encodeData(r); // an unencodable value from the model is the meter's fault, reported as such
      return { type: 'data', data: r };
    } catch {
      return refused('hardware-fault');
    }
  }

  private getNormal(a: Association, req: GetRequestNormal): Apdu {
    if (!this.allowed(a, 'get') || (req.access !== undefined && !this.allowed(a, 'selective-access'))) {
      return exception(STATE.serviceNotAllowed, SERVICE.serviceNotSupported);
    }
    const result = this.read(a, req.attribute, req.access);
    const response: GetResponseNormal = { type: 'get-response-normal', invoke: req.invoke, result };
    if (encodeApdu(response).length <= a.maxSendPdu) return response;
    // Too long: block transfer of the Data's A-XDR encoding (only a data result can be this long).
    const raw = encodeData((result as { data: DlmsData }).data);
    return this.long(a, raw, req.invoke);
  }

  private getWithList(a: Association, req: GetRequestWithList): Apdu {
    // Without multiple-references a meter refuses the whole request (vector: D8 01 02).
    if (!this.allowed(a, 'get', 'multiple-references')) return exception(STATE.serviceNotAllowed, SERVICE.serviceNotSupported);
    if (!this.allowed(a, 'selective-access') && req.items.some((i) => i.access !== undefined)) {
      return exception(STATE.serviceNotAllowed, SERVICE.serviceNotSupported);
    }
    const results = req.items.map((item) => this.read(a, item.attribute, item.access));
    const response: Apdu = { type: 'get-response-with-list', invoke: req.invoke, results };
    if (encodeApdu(response).length <= a.maxSendPdu) return response;
    // With-list blocks carry the SEQUENCE OF Get-Data-Result (count, then each result).
    const w = new ByteWriter(256);
    writeLength(w, results.length);
    for (const r of results) writeGetDataResult(w, r);
    return this.long(a, w.toBytes(), req.invoke);
  }

  private long(a: Association, raw: Uint8Array, invoke: GetRequestNormal['invoke']): Apdu {
    if (!this.allowed(a, 'block-transfer-with-get-or-read')) return exception(STATE.serviceNotAllowed, SERVICE.pduTooLong);
    const step = startLongGet(raw, invoke, a.maxSendPdu);
    if (step.transfer) this.transfers.set(a.clientSap, step.transfer);
    return step.response;
  }

  private setNormal(a: Association, req: SetRequestNormal): Apdu {
    if (!this.allowed(a, 'set')) return exception(STATE.serviceNotAllowed, SERVICE.serviceNotSupported);
    const ref = { classId: req.attribute.classId, obis: req.attribute.instanceId, attribute: req.attribute.attributeId };
    let result: number;
    try {
      const r = req.access !== undefined ? { error: 'scope-of-access-violated' } : this.objects.set(ref, req.value, a.level);
      result = isRefusal(r) ? accessResult(r.error) : DATA_ACCESS_RESULTS.success;
    } catch {
      result = DATA_ACCESS_RESULTS['hardware-fault'];
    }
    return { type: 'set-response-normal', invoke: req.invoke, result };
  }

  private actionNormal(a: Association, req: ActionRequestNormal): Apdu {
    if (!this.allowed(a, 'action')) return exception(STATE.serviceNotAllowed, SERVICE.serviceNotSupported);
    const ref = { classId: req.method.classId, obis: req.method.instanceId };
    let response: ActionResponseNormal;
    try {
      const r = this.objects.action(ref, req.method.methodId, req.parameters, a.level);
      if (isRefusal(r)) {
        response = { type: 'action-response-normal', invoke: req.invoke, result: actionResult(r.error) };
      } else {
        if (r.data !== undefined) encodeData(r.data);
        response = {
          type: 'action-response-normal',
          invoke: req.invoke,
          result: ACTION_RESULTS.success,
          returnParameters: r.data === undefined ? undefined : { type: 'data', data: r.data },
        };
      }
    } catch {
      response = { type: 'action-response-normal', invoke: req.invoke, result: ACTION_RESULTS['hardware-fault'] };
    }
    return response;
  }
}
