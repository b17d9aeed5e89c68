import { diagnosticName, releaseReasonName } from './acse-names.js';
import { actionResultName } from './action-result.js';
import type { Apdu } from './apdu.js';
import { describeConfirmedServiceError } from './confirmed-service-error.js';
import { dataAccessResultName } from './data-access-result.js';
import { formatAttribute, formatMethod } from './descriptors.js';
import { describeException } from './exception.js';
import type { GetDataResult } from './get.js';
import type { InvokeIdAndPriority } from './invoke-id.js';

/** One line per APDU for logs: what it is and what it is about, never the whole payload. */
export function apduDescription(a: Apdu): string {
  switch (a.type) {
    case 'aarq':
      return `AARQ ${a.applicationContextName}, mechanism ${a.mechanismName ?? 'none'}${a.userInformation ? `, ${a.userInformation.type}` : ''}`;
    case 'aare': {
      const init = a.userInformation;
      const detail =
        init?.type === 'initiate-response'
          ? `, server max PDU ${init.serverMaxReceivePduSize}`
          : init?.type === 'confirmed-service-error'
            ? `, ${describeConfirmedServiceError(init)}`
            : '';
      return `AARE ${a.result}, ${a.diagnostic.source} ${diagnosticName(a.diagnostic)}${detail}`;
    }
    case 'rlrq':
    case 'rlre':
      return `${a.type.toUpperCase()}${a.reason === undefined ? '' : ` ${releaseReasonName(a.type, a.reason)}`}`;
    case 'get-request-normal':
      return `GET-Request-Normal ${id(a.invoke)} ${formatAttribute(a.attribute)}${a.access ? ` selector ${a.access.selector}` : ''}`;
    case 'get-request-next':
      return `GET-Request-Next ${id(a.invoke)} block ${a.blockNumber}`;
    case 'get-request-with-list':
      return `GET-Request-With-List ${id(a.invoke)} ${a.items.map((i) => formatAttribute(i.attribute)).join(', ')}`;
    case 'get-response-normal':
      return `GET-Response-Normal ${id(a.invoke)} ${result(a.result)}`;
    case 'get-response-with-datablock': {
      const r = a.result.type === 'raw-data' ? `${a.result.data.length} byte(s)` : dataAccessResultName(a.result.result);
      return `GET-Response-With-Datablock ${id(a.invoke)} block ${a.blockNumber}${a.lastBlock ? ' (last)' : ''} ${r}`;
    }
    case 'get-response-with-list':
      return `GET-Response-With-List ${id(a.invoke)} [${a.results.map(result).join(', ')}]`;
    case 'set-request-normal':
      return `SET-Request-Normal ${id(a.invoke)} ${formatAttribute(a.attribute)} := ${a.value.type}`;
    case 'set-response-normal':
      return `SET-Response-Normal ${id(a.invoke)} ${dataAccessResultName(a.result)}`;
    case 'action-request-normal':
      return `ACTION-Request-Normal ${id(a.invoke)} ${formatMethod(a.method)}${a.parameters ? ` (${a.parameters.type})` : ''}`;
    case 'action-response-normal':
      return `ACTION-Response-Normal ${id(a.invoke)} ${actionResultName(a.result)}${a.returnParameters ? ` ${result(a.returnParameters)}` : ''}`;
    case 'exception-response':
      return `ExceptionResponse ${describeException(a)}`;
    case 'confirmed-service-error':
      return `ConfirmedServiceError ${describeConfirmedServiceError(a)}`;
  }
}

function id(i: InvokeIdAndPriority): string {
  return `#${i.invokeId}`;
}

function result(r: GetDataResult): string {
  return r.type === 'data' ? r.data.type : dataAccessResultName(r.result);
}
