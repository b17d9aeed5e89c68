/** IEC 62056-47 TCP/UDP wrapper: header codec and stream deframer. */
export * from './wrapper.js';
export * from './deframer.js';
