import type { AddressSize } from '../../src/dlms/hdlc/address.js';
import type { SimulatedMeter } from '../meter/meter-model.js';
import type { EndpointLink, Iec21SignOn } from './meter-endpoint.js';

/**
 * How the simulator numbers the meters it serves together (on one TCP port or one serial bus). Meters
 * are numbered from 1, in the order given:
 * - HDLC: server address logical 1 / physical 16 + i (meter 1 → 1/17, the address most tools default
 *   to); 4-byte addresses by default so that a bus can hold more than 111 meters;
 * - wrapper: destination wPort i (meter 1 → wPort 1, the usual management logical device).
 */
export const FIRST_PHYSICAL_ADDRESS = 16;
export const DEFAULT_ADDRESS_SIZE: AddressSize = 4;

export function physicalAddressOf(index: number): number {
  return FIRST_PHYSICAL_ADDRESS + index;
}

export function wrapperPortOf(index: number): number {
  return index;
}

export function hdlcLink(index: number, addressSize: AddressSize = DEFAULT_ADDRESS_SIZE, iec21?: Iec21SignOn): EndpointLink {
  return { framing: 'hdlc', physical: physicalAddressOf(index), logical: 1, addressSize, iec21 };
}

export function wrapperLink(index: number): EndpointLink {
  return { framing: 'wrapper', wPort: wrapperPortOf(index) };
}

/** One line of "what is served": for the CLI and for tests that look meters up. */
export interface ServedMeter {
  /** 1-based position. */
  readonly index: number;
  readonly serial: string;
  /** "hdlc 1/17" or "wport 1". */
  readonly address: string;
  readonly hdlc?: { readonly logical: number; readonly physical: number; readonly size: AddressSize } | undefined;
  readonly wPort?: number | undefined;
  readonly meter: SimulatedMeter;
}

export function describeServed(meter: SimulatedMeter, index: number, link: EndpointLink): ServedMeter {
  if (link.framing === 'wrapper') return { index, serial: meter.serial, address: `wport ${link.wPort}`, wPort: link.wPort, meter };
  const logical = link.logical ?? 1;
  return {
    index,
    serial: meter.serial,
    address: link.addressSize === 1 ? `hdlc ${logical}` : `hdlc ${logical}/${link.physical}`,
    hdlc: { logical, physical: link.physical, size: link.addressSize },
    meter,
  };
}
