/**
 * COSEM data as it crosses the wire (IEC 62056-6-2 §4.1.5, A-XDR encoding per IEC 61334-6).
 * A discriminated union keyed by the type name; integers above 32 bits are bigint so that no value
 * a meter sends is ever rounded.
 */
export type DlmsData =
  | { type: 'null-data' }
  | { type: 'array'; value: DlmsData[] }
  | { type: 'structure'; value: DlmsData[] }
  | { type: 'boolean'; value: boolean }
  | { type: 'bit-string'; value: BitString }
  | { type: 'double-long'; value: number } // int32, tag 5
  | { type: 'double-long-unsigned'; value: number } // uint32, tag 6
  | { type: 'octet-string'; value: Uint8Array } // tag 9
  | { type: 'visible-string'; value: string } // tag 10
  | { type: 'utf8-string'; value: string } // tag 12
  | { type: 'bcd'; value: number } // tag 13
  | { type: 'integer'; value: number } // int8, tag 15
  | { type: 'long'; value: number } // int16, tag 16
  | { type: 'unsigned'; value: number } // uint8, tag 17
  | { type: 'long-unsigned'; value: number } // uint16, tag 18
  | { type: 'compact-array'; value: CompactArray } // tag 19
  | { type: 'long64'; value: bigint } // int64, tag 20
  | { type: 'long64-unsigned'; value: bigint } // uint64, tag 21
  | { type: 'enum'; value: number } // tag 22
  | { type: 'float32'; value: number } // tag 23
  | { type: 'float64'; value: number } // tag 24
  | { type: 'date-time'; value: CosemDateTime } // tag 25
  | { type: 'date'; value: CosemDate } // tag 26
  | { type: 'time'; value: CosemTime } // tag 27
  | { type: 'dont-care' }; // tag 255

export type DlmsDataType = DlmsData['type'];

/** A bit-string keeps its exact bit count: the meter's status words are read bit by bit. */
export interface BitString {
  /** Number of significant bits. */
  readonly length: number;
  /** ceil(length / 8) bytes, first bit in the most significant bit of the first byte. */
  readonly bytes: Uint8Array;
}

/**
 * compact-array (tag 19): one type description, then the values without their tags. Decoded values
 * are given back as full DlmsData so that callers need not know the compact form.
 */
export interface CompactArray {
  readonly typeDescription: TypeDescription;
  readonly values: DlmsData[];
}

export type TypeDescription =
  | { type: 'array'; count: number; element: TypeDescription }
  | { type: 'structure'; elements: TypeDescription[] }
  | { type: Exclude<DlmsDataType, 'array' | 'structure'> };

/**
 * COSEM date (IEC 62056-6-2 §4.1.6.1). Fields that the meter marks "not specified" (0xFF, 0xFFFF) are
 * undefined; the special values 0xFD/0xFE for month and day (DST end/begin, last/second-last day) are
 * kept as numbers.
 */
export interface CosemDate {
  year?: number | undefined;
  month?: number | undefined;
  dayOfMonth?: number | undefined;
  /** 1 = Monday … 7 = Sunday. */
  dayOfWeek?: number | undefined;
}

export interface CosemTime {
  hour?: number | undefined;
  minute?: number | undefined;
  second?: number | undefined;
  hundredths?: number | undefined;
}

export interface CosemDateTime extends CosemDate, CosemTime {
  /** Deviation as on the wire: UTC = local time + deviation (minutes), so UTC+07:00 is -420; undefined = 0x8000 not specified. See datetime.ts. */
  deviation?: number | undefined;
  /** Clock status byte (invalid, doubtful, different base, invalid status, daylight saving active). */
  clockStatus?: number | undefined;
}
