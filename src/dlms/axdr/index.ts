export type * from './types.js';
export { readLength, writeLength, lengthSize } from './length.js';
export {
  CLOCK_STATUS,
  addSeconds,
  cosemDateTimeFromDate,
  cosemDateTimeToDate,
  decodeDateBytes,
  decodeDateTimeBytes,
  decodeTimeBytes,
  deviationToUtcOffset,
  encodeDateBytes,
  encodeDateTimeBytes,
  encodeTimeBytes,
  utcOffsetToDeviation,
} from './datetime.js';
export { decodeData, decodeDataExact } from './decode.js';
export { encodeData, writeData } from './encode.js';
export { dlms } from './build.js';
export { asArray, asBoolean, asDateTime, asInteger, asNumber, asOctets, asString, asStructure, isIntegerData } from './read.js';
export { TAG, typeOfTag, MAX_DEPTH } from './tags.js';
