/** The application association as pure functions: what to send, and what an answer means. */
export * from './association.js';
export * from './invoke-ids.js';
export * from './responses.js';
export * from './block-transfer.js';
export * from './with-list.js';
