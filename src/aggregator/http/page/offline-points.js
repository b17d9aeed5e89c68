// Which metering points are offline now, from the gateways' events: a point is offline when its latest
// reachability event is 'meter-offline' (no 'meter-online' came after it). Pure, so it is easy to test.

/** A meter is named by its gateway and meter id: the metering point is optional in the events. */
const keyOf = (e) => `${e.gatewayId}|${e.meterId ?? e.body?.meterId ?? ''}`;

function observedAt(e) {
  const ms = Date.parse(e.body?.at ?? e.at);
  return Number.isNaN(ms) ? 0 : ms;
}

/** Later = observed later by the gateway; on a tie, stored later (a higher id). */
function later(a, b) {
  return observedAt(a) - observedAt(b) || a.id - b.id;
}

/**
 * `events`: meter-offline and meter-online events (any order, as GET /api/events returns them).
 * Returns one entry per meter still offline: { gatewayId, meterId, meteringPoint, since, lastGoodRead,
 * lastError, consecutiveFailures, eventId }, longest offline first.
 */
export function offlinePoints(events) {
  const latest = new Map();
  for (const e of events) {
    if (e.type !== 'meter-offline' && e.type !== 'meter-online') continue;
    const k = keyOf(e);
    const seen = latest.get(k);
    if (seen === undefined || later(e, seen) > 0) latest.set(k, e);
  }
  const out = [];
  for (const e of latest.values()) {
    if (e.type !== 'meter-offline') continue;
    const b = e.body ?? {};
    out.push({
      gatewayId: e.gatewayId,
      meterId: e.meterId ?? b.meterId,
      meteringPoint: e.meteringPoint ?? b.meteringPoint ?? null,
      since: b.since ?? e.at,
      lastGoodRead: b.lastGoodRead ?? null,
      lastError: b.lastError ?? null,
      consecutiveFailures: b.consecutiveFailures ?? null,
      eventId: e.id,
    });
  }
  return out.sort((a, b) => Date.parse(a.since) - Date.parse(b.since) || a.meterId.localeCompare(b.meterId));
}
