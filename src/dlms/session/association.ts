import { aareRefusal } from '../apdu/aare-refusal.js';
import type { Aare, Aarq } from '../apdu/acse.js';
import { DEFAULT_CLIENT_CONFORMANCE, type Conformance } from '../apdu/conformance.js';
import { initiateRequest } from '../apdu/initiate.js';
import { DlmsError } from '../errors.js';

/**
 * How the client authenticates (IEC 62056-5-3 §7.2.2): the public client (SAP 16) uses none; reading
 * clients use LLS, a password sent in clear in the AARQ. HLS needs ciphering, which our reading cycle
 * does not use yet.
 */
export type Authentication = { readonly mechanism: 'none' } | { readonly mechanism: 'lls'; readonly password: string };

export interface AssociationProposal {
  readonly authentication: Authentication;
  readonly conformance?: Conformance;
  /** The largest APDU we accept; a Pi has memory to spare, the meter will usually answer with less. */
  readonly maxReceivePduSize?: number;
}

/** What the meter granted: only these services and sizes may be used on this association. */
export interface NegotiatedAssociation {
  readonly conformance: Conformance;
  /** Largest APDU the meter accepts from us. */
  readonly serverMaxReceivePduSize: number;
  readonly dlmsVersion: number;
}

export function buildAarq(p: AssociationProposal): Aarq {
  const userInformation = initiateRequest(p.conformance ?? DEFAULT_CLIENT_CONFORMANCE, p.maxReceivePduSize ?? 0xffff);
  if (p.authentication.mechanism === 'none') {
    return { type: 'aarq', applicationContextName: 'logical-name', userInformation };
  }
  return {
    type: 'aarq',
    applicationContextName: 'logical-name',
    senderAcseRequirements: true,
    mechanismName: 'lls',
    callingAuthenticationValue: new TextEncoder().encode(p.authentication.password),
    userInformation,
  };
}

/** The negotiated parameters of an accepted AARE; a refusal becomes its typed error (wrong password, …). */
export function acceptAare(aare: Aare): NegotiatedAssociation {
  const refusal = aareRefusal(aare);
  if (refusal) throw refusal;
  const ui = aare.userInformation;
  if (ui?.type !== 'initiate-response') {
    throw new DlmsError('DLMS_BAD_APDU', `AARE accepted but carries ${ui ? `a ${ui.type}` : 'no'} InitiateResponse`, {
      context: { step: 'associate' },
    });
  }
  // A server may answer a PDU size of 0 meaning "no limit stated" (Green Book): treat as the largest.
  return {
    conformance: ui.conformance,
    serverMaxReceivePduSize: ui.serverMaxReceivePduSize === 0 ? 0xffff : ui.serverMaxReceivePduSize,
    dlmsVersion: ui.dlmsVersion,
  };
}
