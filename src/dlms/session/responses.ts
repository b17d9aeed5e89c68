import type { Apdu } from '../apdu/apdu.js';
import { confirmedServiceErrorError } from '../apdu/confirmed-service-error.js';
import { dataAccessError } from '../apdu/data-access-result.js';
import { exceptionError } from '../apdu/exception.js';
import type { GetDataResult } from '../apdu/get.js';
import type { InvokeIdAndPriority } from '../apdu/invoke-id.js';
import type { DlmsData } from '../axdr/types.js';
import { DlmsError } from '../errors.js';

/**
 * Checks that `apdu` answers the request sent with `sent`: an ExceptionResponse or ConfirmedServiceError
 * becomes its typed error; another APDU type or another invoke-id is DLMS_BAD_APDU / DLMS_INVOKE_ID.
 */
export function expectResponse<T extends Apdu['type']>(
  apdu: Apdu,
  expected: readonly T[],
  sent: InvokeIdAndPriority | undefined,
  target: string,
): Extract<Apdu, { type: T }> {
  if (apdu.type === 'exception-response') throw exceptionError(apdu).withContext({ target });
  if (apdu.type === 'confirmed-service-error') throw confirmedServiceErrorError(apdu).withContext({ target });
  if (!(expected as readonly string[]).includes(apdu.type)) {
    throw new DlmsError('DLMS_BAD_APDU', `expected ${expected.join(' or ')} for ${target}, received ${apdu.type}`, {
      context: { target, received: apdu.type },
    });
  }
  if (sent && 'invoke' in apdu && apdu.invoke.invokeId !== sent.invokeId) {
    throw new DlmsError('DLMS_INVOKE_ID', `answer with invoke-id ${apdu.invoke.invokeId} to request ${sent.invokeId} for ${target}`, {
      context: { target, sent: sent.invokeId, received: apdu.invoke.invokeId },
    });
  }
  return apdu as Extract<Apdu, { type: T }>;
}

/** The data of a Get-Data-Result, or the Data-Access-Result as a typed error naming the attribute. */
export function dataOrError(result: GetDataResult, target: string): DlmsData {
  if (result.type === 'data') return result.data;
  throw dataAccessError(result.result, target);
}
