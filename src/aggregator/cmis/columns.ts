/**
 * The columns of a CMIS book row, in the order CMIS sends them (DOMAIN.md "CMIS exchange"). The writer
 * uses this order; the reader accepts any order, tolerates missing optional columns and keeps unknown
 * ones aside.
 */
export const CMIS_COLUMNS = [
  'MA_DVIQLY', 'MA_QUYEN', 'MA_GC', 'MA_TRAM', 'MA_KHANG', 'MA_DDO', 'MA_NVGCS', 'MA_CTO', 'SERY_CTO',
  'LOAI_BCS', 'LOAI_CS', 'BOCSO_ID', 'TEN_KHANG', 'DIA_CHI', 'MA_NN', 'SO_HO', 'HSN', 'CS_CU', 'TTR_CU',
  'SL_CU', 'SL_TTIEP', 'NGAY_CU', 'CS_MOI', 'TTR_MOI', 'SL_MOI', 'CHUOI_GIA', 'KY', 'THANG', 'NAM',
  'NGAY_MOI', 'NGUOI_GCS', 'SL_THAO', 'KIMUA_CSPK', 'MA_COT', 'SLUONG_1', 'SLUONG_2', 'SLUONG_3', 'SO_HOM',
  'PMAX', 'NGAY_PMAX',
] as const;

export type CmisColumn = (typeof CMIS_COLUMNS)[number];

const COLUMN_SET: ReadonlySet<string> = new Set(CMIS_COLUMNS);

export function isCmisColumn(name: string): name is CmisColumn {
  return COLUMN_SET.has(name);
}

/** Registers (LOAI_BCS) in the order rows of one metering point are listed; others sort after these. */
export const REGISTER_ORDER = ['KT', 'BT', 'CD', 'TD', 'VC', 'SG'] as const;
