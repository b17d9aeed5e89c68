import { describe, expect, it } from 'vitest';
import { DetectionError } from './errors.js';
import { DEFAULT_THRESHOLDS, resolveThresholds } from './thresholds.js';

describe('thresholds', () => {
  it('ships the documented defaults', () => {
    expect(DEFAULT_THRESHOLDS).toMatchObject({
      offlineAfterFailures: 3,
      offlineAfterHours: 24,
      busSilentShare: 0.8,
      busSilentMinMeters: 3,
      spikeRatio: 1.3,
      clockDriftSeconds: 60,
      tariffSumToleranceUnits: 1,
      stuckAfterHours: 48,
      preCutoffDays: 3,
    });
    expect(resolveThresholds()).toEqual(DEFAULT_THRESHOLDS);
  });

  it('overlays configured values', () => {
    expect(resolveThresholds({ spikeRatio: 1.5, preCutoffDays: 5 })).toMatchObject({ spikeRatio: 1.5, preCutoffDays: 5, stuckAfterHours: 48 });
  });

  it.each([
    [{ spikeRatio: 1 }, 'spikeRatio'],
    [{ busSilentShare: 1.2 }, 'busSilentShare'],
    [{ offlineAfterFailures: 0 }, 'offlineAfterFailures'],
    [{ stuckAfterHours: Number.NaN }, 'stuckAfterHours'],
    [{ preCutoffDays: 2.5 }, 'preCutoffDays'],
    [{ spikeWindowDays: 3 }, 'spikeWindowDays'],
    [{ bogus: 1 } as never, 'bogus'],
  ])('refuses %j naming the field', (bad, field) => {
    let err: unknown;
    try {
      resolveThresholds(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DetectionError);
    expect((err as DetectionError).code).toBe('DETECTION_BAD_THRESHOLD');
    expect((err as DetectionError).message).toContain(`thresholds.${field}`);
  });
});
