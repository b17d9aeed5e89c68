import type { Verdict } from './index-checks.js';
import type { DetectionThresholds } from './thresholds.js';

/**
 * An unreliable link (RF fading, a loose RS485 joint, a converter that hangs): the meter answers now, but
 * of its last intermittentWindowPolls polls at least intermittentMinFailures failed, in two or more
 * separate runs. Offline never fires for such a meter — it rarely misses three polls in a row — yet it is
 * the meter most likely to be unreadable on reading day, so it belongs on the pre-cutoff list. A single run
 * of failures is an outage that ended (a power cut, a gateway-side fault), which offline already covers.
 * `recentPolls` is ReachabilityState.recentPolls: '1' answered, '0' did not, oldest first.
 */
export function checkIntermittent(recentPolls: string | undefined, t: DetectionThresholds): Verdict {
  if (recentPolls === undefined || recentPolls.length < t.intermittentWindowPolls) return 'unknown';
  const window = recentPolls.slice(-t.intermittentWindowPolls);
  const failures = [...window].filter((c) => c === '0').length;
  const runs = window.split(/1+/).filter((run) => run.length > 0).length;
  if (failures < t.intermittentMinFailures || runs < 2) return 'healthy';
  return {
    key: 'intermittent',
    code: 'intermittent',
    severity: 'warning',
    evidence: { recentPolls: window, failedPolls: String(failures), polls: String(window.length), failureRuns: String(runs) },
    thresholds: { intermittentWindowPolls: t.intermittentWindowPolls, intermittentMinFailures: t.intermittentMinFailures },
    lifetime: 'condition',
  };
}
