import { z } from 'zod';
import { validate } from './codec.js';
import { isBrokerUrl, isTopicRoot, isValidGatewayId } from './topics.js';

/**
 * Enrolment: the one HTTP exchange between a gateway and the aggregator (`POST /api/enrol`). A technician
 * runs `chiso provision` on the new gateway with a one-time token the operator issued; the gateway sends
 * the token and its public key, and receives once its MQTT login and the aggregator's command key. The
 * aggregator validates the request and the gateway validates the answer with these same schemas, so the
 * two ends cannot drift apart. See README.md, "Enrolment".
 *
 * Messages say what was expected; `validate` / the HTTP API put the field's path in front of them
 * (`mqtt.password: expected …`), so every problem names its field.
 */

const GATEWAY_ID_TEXT = 'a gateway id: 1 to 64 letters, digits, _ or -, starting with a letter or digit';
const gatewayId = z.string({ error: GATEWAY_ID_TEXT }).refine(isValidGatewayId, { error: GATEWAY_ID_TEXT });

const PUBLIC_KEY_TEXT = 'an Ed25519 public key (SPKI PEM, "-----BEGIN PUBLIC KEY-----")';
const publicKeyPem = z
  .string({ error: PUBLIC_KEY_TEXT })
  .max(4096, { error: 'a public key PEM of at most 4096 characters' })
  .regex(/-----BEGIN PUBLIC KEY-----/, { error: PUBLIC_KEY_TEXT });

const KEY_ID_TEXT = 'a key id: 16 lowercase hex characters (SHA-256 of the raw public key)';
const keyId = z.string({ error: KEY_ID_TEXT }).regex(/^[0-9a-f]{16}$/, { error: KEY_ID_TEXT });

const BROKER_URL_TEXT = 'a broker URL such as mqtts://aggregator.example:8883 (mqtt, mqtts, ws, wss, tcp, ssl)';
const brokerUrl = z.string({ error: BROKER_URL_TEXT }).refine(isBrokerUrl, { error: BROKER_URL_TEXT });

const TOPIC_ROOT_TEXT = 'a topic root such as chiso/v1 (no wildcards, no leading $, no empty level)';
const topicRoot = z.string({ error: TOPIC_ROOT_TEXT }).refine(isTopicRoot, { error: TOPIC_ROOT_TEXT });

/** Text that is not empty and not absurdly long; `what` says which. */
const someText = (what: string, max = 256) =>
  z
    .string({ error: what })
    .min(1, { error: what })
    .max(max, { error: `${what}, at most ${max} characters` });

/** `POST /api/enrol` body, gateway → aggregator. */
export const EnrolRequestSchema = z.object(
  {
    token: someText('the one-time enrolment token (text)'),
    gatewayId,
    publicKeyPem,
  },
  { error: 'an object { token, gatewayId, publicKeyPem }' },
);
export type EnrolRequest = z.infer<typeof EnrolRequestSchema>;

/**
 * `POST /api/enrol` answer (201), aggregator → gateway. The password is shown this once: the aggregator
 * keeps only its scrypt hash.
 */
export const EnrolResponseSchema = z.object(
  {
    gatewayId,
    /** Key id of the public key just registered (the gateway checks it is its own). */
    keyId,
    mqtt: z.object(
      {
        url: brokerUrl,
        username: someText('the MQTT user name (text)'),
        password: someText("the gateway's MQTT password (text, not empty)", 1024),
        clientId: someText('the MQTT client id (text)'),
        topicRoot,
      },
      { error: 'an object { url, username, password, clientId, topicRoot }' },
    ),
    /** The key the gateway checks signed commands with. */
    aggregator: z.object(
      {
        name: someText("the aggregator's name (text)"),
        publicKeyPem,
        keyId,
      },
      { error: 'an object { name, publicKeyPem, keyId }' },
    ),
  },
  { error: 'an object { gatewayId, keyId, mqtt, aggregator }' },
);
export type EnrolResponse = z.infer<typeof EnrolResponseSchema>;

/** Validates an enrolment request; WireError WIRE_MALFORMED naming the first wrong field otherwise. */
export function parseEnrolRequest(value: unknown): EnrolRequest {
  return validate(EnrolRequestSchema, value, 'enrolment request');
}

/** Validates an enrolment answer; WireError WIRE_MALFORMED naming the first wrong field otherwise. */
export function parseEnrolResponse(value: unknown): EnrolResponse {
  return validate(EnrolResponseSchema, value, 'enrolment answer');
}
