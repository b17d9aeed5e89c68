/** IEC 62056-46 HDLC (frame format type 3): codecs, deframer and the client/server link machines. */
export * from './crc.js';
export * from './address.js';
export * from './control.js';
export * from './frame.js';
export * from './deframer.js';
export * from './parameters.js';
export * from './llc.js';
export * from './client-link.js';
export * from './server-link.js';
