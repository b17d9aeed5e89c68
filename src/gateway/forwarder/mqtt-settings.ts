import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { MqttSettings } from '../../config/index.js';
import { errorMessage } from '../../shared/errors.js';
import { ForwarderError } from './errors.js';
import type { ForwarderMqttOptions } from './options.js';

/**
 * The forwarder's MQTT options from the gateway config's `mqtt` section, one field each, so nothing in it
 * is dropped on the way (the CA file was, once). `mqtt.caFile`, `mqtt.certFile` and `mqtt.keyFile` are read
 * here, at start, like the gateway's private key file: the config loader only checks that they exist. A CA
 * that cannot be read or is not a PEM certificate, or a client certificate that cannot be read, does not
 * parse or does not match its key, stops the start now rather than failing every TLS handshake later.
 */
export function forwarderMqttOptions(settings: MqttSettings, readText: (file: string) => string = (f) => readFileSync(f, 'utf8')): ForwarderMqttOptions {
  return {
    url: settings.url,
    username: settings.username,
    ...(settings.password ? { password: settings.password } : {}),
    ...(settings.caFile === undefined ? {} : { ca: readCa(settings.caFile, readText) }),
    ...(settings.certFile === undefined && settings.keyFile === undefined ? {} : readClientCertificate(settings, readText)),
    clientId: settings.clientId,
    topicRoot: settings.topicRoot,
    keepaliveSeconds: settings.keepaliveSeconds,
  };
}

function badOptions(setting: string, message: string, cause?: unknown): ForwarderError {
  return new ForwarderError('FORWARDER_BAD_OPTIONS', message, { ...(cause === undefined ? {} : { cause }), context: { setting } });
}

function readSetting(setting: string, file: string, readText: (file: string) => string): string {
  try {
    return readText(file);
  } catch (e) {
    throw badOptions(setting, `${setting} ${file}: cannot be read (${errorMessage(e)})`, e);
  }
}

function readCa(file: string, readText: (file: string) => string): string {
  const text = readSetting('mqtt.caFile', file, readText);
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw badOptions('mqtt.caFile', `mqtt.caFile ${file}: expected a PEM CA certificate ("-----BEGIN CERTIFICATE-----"), found none`);
  }
  return text;
}

/** The URLs mqtt.js connects over TLS: only there is a client certificate presented. */
function isTlsUrl(url: string): boolean {
  try {
    return ['mqtts:', 'wss:', 'ssl:'].includes(new URL(url).protocol);
  } catch {
    return false;
  }
}

/**
 * `mqtt.certFile` and `mqtt.keyFile` as PEM text for tls.connect. The config loader already refuses one
 * without the other and a plain url; they are checked again here because these settings can be built
 * by hand too, and a certificate silently not presented would only show as refusals at the broker.
 */
function readClientCertificate(settings: MqttSettings, readText: (file: string) => string): { cert: string; key: string } {
  const { certFile, keyFile } = settings;
  if (certFile === undefined || keyFile === undefined) {
    const [given, missing] = certFile === undefined ? ['mqtt.keyFile', 'mqtt.certFile'] : ['mqtt.certFile', 'mqtt.keyFile'];
    throw badOptions(missing, `${given} is set but ${missing} is not: a client certificate needs both its certificate and its key`);
  }
  if (!isTlsUrl(settings.url)) {
    throw badOptions('mqtt.certFile', `mqtt.certFile ${certFile}: a client certificate is only presented over TLS, but mqtt.url ${settings.url} is not mqtts:// or wss://`);
  }
  const cert = readSetting('mqtt.certFile', certFile, readText);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw badOptions('mqtt.certFile', `mqtt.certFile ${certFile}: expected a PEM client certificate ("-----BEGIN CERTIFICATE-----"), found none that parses (${errorMessage(e)})`, e);
  }
  const key = readSetting('mqtt.keyFile', keyFile, readText);
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (e) {
    throw badOptions('mqtt.keyFile', `mqtt.keyFile ${keyFile}: expected a PEM private key ("-----BEGIN PRIVATE KEY-----"), found none that parses (${errorMessage(e)})`, e);
  }
  // The broker would only say "handshake failed"; a key of another certificate is named here instead.
  if (!x509.checkPrivateKey(keyObject)) {
    throw badOptions('mqtt.keyFile', `mqtt.keyFile ${keyFile}: not the key of the certificate in mqtt.certFile ${certFile} (subject ${x509.subject.split('\n').join(', ')})`);
  }
  return { cert, key };
}
