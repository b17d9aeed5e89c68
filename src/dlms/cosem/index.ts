export * from './obis.js';
export * from './units.js';
export * from './scaler-unit.js';
export * from './classes.js';
export * from './capture-object.js';
export {
  ACCESS_SELECTOR,
  decodeCaptureObjects,
  decodeEntryDescriptor,
  decodeProfileBuffer,
  decodeRangeDescriptor,
  encodeCaptureObjects,
  entryDescriptor,
  rangeDescriptor,
  type EntryDescriptor,
  type ProfileRow,
  type RangeDescriptor,
} from './profile.js';
export * from './association.js';
export * from './sap.js';
