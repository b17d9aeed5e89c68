/** xDLMS and ACSE APDUs for logical-name referencing (IEC 62056-5-3, ISO 8650-1 as profiled by DLMS). */
export * from './apdu.js';
export * from './describe.js';
export * from './acse.js';
export * from './acse-names.js';
export * from './aare-refusal.js';
export * from './release.js';
export * from './initiate.js';
export * from './conformance.js';
export * from './confirmed-service-error.js';
export * from './invoke-id.js';
export * from './descriptors.js';
export * from './get.js';
export * from './set.js';
export * from './action.js';
export * from './exception.js';
export * from './data-access-result.js';
export * from './action-result.js';
export { decodeOid, encodeOid } from './ber.js';
