import { hash32 } from '../meter/prng.js';
import type { ProfileKind } from './meter-models.js';

/**
 * Customer names and addresses for the books, drawn from the seed: plausible enough that an operator
 * page or a printed notice looks like the real thing (TEN_KHANG, DIA_CHI carry Vietnamese text).
 */
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Vũ', 'Đặng', 'Bùi', 'Đỗ', 'Ngô'];
const MIDDLE = ['Văn', 'Thị', 'Minh', 'Hoàng', 'Thu', 'Đức', 'Ngọc', 'Quang'];
const GIVEN = ['An', 'Bình', 'Cường', 'Dung', 'Hà', 'Lan', 'Nam', 'Phúc', 'Quang', 'Tuấn', 'Hạnh', 'Sơn'];
const FIRM = ['Công ty TNHH', 'Cửa hàng', 'Khách sạn', 'Công ty CP', 'Nhà hàng'];
const TRADE = ['Hồng Hà', 'Hoa Sen', 'Thăng Long', 'Bình Minh', 'Sông Hồng', 'Phú Gia', 'Tân Phát'];
const STREET = ['phố Hàng Bạc', 'phố Hàng Bè', 'phố Đinh Liệt', 'ngõ 45 phố Hàng Bạc', 'phố Chương Dương Độ', 'phố Lò Sũ'];

const pick = <T>(xs: readonly T[], h: number): T => xs[h % xs.length]!;

export function customerName(seed: number, ordinal: number, kind: ProfileKind): string {
  const h = hash32(seed, ordinal, 0x6e61);
  if (kind === 'business') return `${pick(FIRM, h)} ${pick(TRADE, h >>> 8)}`;
  return `${pick(FAMILY, h)} ${pick(MIDDLE, h >>> 8)} ${pick(GIVEN, h >>> 16)}`;
}

export function customerAddress(seed: number, ordinal: number): string {
  const h = hash32(seed, ordinal, 0xad);
  return `Số ${1 + (h % 120)} ${pick(STREET, h >>> 10)}`;
}
