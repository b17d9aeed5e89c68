import { readFileSync } from 'node:fs';
import type { MqttSettings } from '../../config/index.js';
import { errorMessage } from '../../shared/errors.js';
import { ForwarderError } from './errors.js';
import type { ForwarderMqttOptions } from './options.js';

/**
 * The forwarder's MQTT options from the gateway config's `mqtt` section, one field each, so nothing in it
 * is dropped on the way (the CA file was, once). `mqtt.caFile` is read here, at start, like the gateway's
 * private key file: the config loader only checks that it exists. A CA that cannot be read, or is not a
 * PEM certificate, stops the start now rather than failing every TLS handshake later.
 */
export function forwarderMqttOptions(settings: MqttSettings, readText: (file: string) => string = (f) => readFileSync(f, 'utf8')): ForwarderMqttOptions {
  return {
    url: settings.url,
    username: settings.username,
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.caFile === undefined ? {} : { ca: readCa(settings.caFile, readText) }),
    clientId: settings.clientId,
    topicRoot: settings.topicRoot,
    keepaliveSeconds: settings.keepaliveSeconds,
  };
}

function readCa(file: string, readText: (file: string) => string): string {
  let text: string;
  try {
    text = readText(file);
  } catch (e) {
    throw new ForwarderError('FORWARDER_BAD_OPTIONS', `mqtt.caFile ${file}: cannot be read (${errorMessage(e)})`, { cause: e, context: { setting: 'mqtt.caFile' } });
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ForwarderError('FORWARDER_BAD_OPTIONS', `mqtt.caFile ${file}: expected a PEM CA certificate ("-----BEGIN CERTIFICATE-----"), found none`, { context: { setting: 'mqtt.caFile' } });
  }
  return text;
}
