import { DlmsError } from '../errors.js';
import { DIAGNOSTIC, diagnosticName } from './acse-names.js';
import type { Aare } from './acse.js';
import { describeConfirmedServiceError } from './confirmed-service-error.js';

/**
 * Turns a refused association into the error the client reports (IEC 62056-5-3 §7.3 AARE result and
 * result-source-diagnostic). Returns undefined when the association was accepted, including the HLS case
 * "accepted + authentication-required", where the challenge exchange still has to follow.
 *
 * authentication-failure (13) is DLMS_AUTH_FAILED because the poller treats it differently: retrying with
 * the same password only locks the meter's port, so it is reported, not retried.
 */
export function aareRefusal(aare: Aare): DlmsError | undefined {
  const serviceError = aare.userInformation?.type === 'confirmed-service-error' ? aare.userInformation : undefined;
  if (aare.result === 'accepted' && serviceError === undefined) return undefined;

  const diagnostic = diagnosticName(aare.diagnostic);
  const initiate = serviceError === undefined ? undefined : describeConfirmedServiceError(serviceError);
  const context = {
    result: aare.result,
    diagnosticSource: aare.diagnostic.source,
    diagnostic,
    diagnosticCode: aare.diagnostic.value,
    serviceError: initiate,
  };
  if (aare.diagnostic.source === 'acse-service-user' && aare.diagnostic.value === DIAGNOSTIC.authenticationFailure) {
    return new DlmsError('DLMS_AUTH_FAILED', 'association refused: authentication failure (wrong password)', { context });
  }
  const message =
    `association rejected (${aare.result}): ${aare.diagnostic.source} ${diagnostic} (${aare.diagnostic.value})` +
    (initiate === undefined ? '' : `; ${initiate}`);
  return new DlmsError('DLMS_ASSOCIATION_REJECTED', message, { context });
}
