import { SimulatedMeter, type MeterConfig } from '../../simulators/meter/meter-model.js';
import { conformance, initiateRequest, type Aarq, type ConformanceBit } from '../../src/dlms/apdu/index.js';

/** A meter at a fixed instant (mid-June 2025, 10:00 in Vietnam), installed long enough for 40 days of profile. */
export const NOW = Date.UTC(2025, 5, 15, 3, 0, 0);

export function testMeter(overrides: Partial<MeterConfig> = {}, now: () => number = () => NOW): SimulatedMeter {
  return new SimulatedMeter({
    serial: 'SIM0001',
    seed: 7,
    profile: { kind: 'household' },
    installedAt: Date.UTC(2024, 0, 10),
    initialIndexWh: 1_234_567,
    password: '12345678',
    timeSource: now,
    ...overrides,
  });
}

export const FULL_PROPOSAL: ConformanceBit[] = [
  'block-transfer-with-get-or-read',
  'block-transfer-with-set-or-write',
  'block-transfer-with-action',
  'multiple-references',
  'get',
  'set',
  'selective-access',
  'action',
];

export function publicAarq(maxPdu = 0xffff, bits: ConformanceBit[] = FULL_PROPOSAL): Aarq {
  return { type: 'aarq', applicationContextName: 'logical-name', userInformation: initiateRequest(conformance(...bits), maxPdu) };
}

export function llsAarq(password: string, maxPdu = 0xffff, bits: ConformanceBit[] = FULL_PROPOSAL): Aarq {
  return {
    type: 'aarq',
    applicationContextName: 'logical-name',
    senderAcseRequirements: true,
    mechanismName: 'lls',
    callingAuthenticationValue: new TextEncoder().encode(password),
    userInformation: initiateRequest(conformance(...bits), maxPdu),
  };
}
