import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CalendarSchema } from '../../../src/aggregator/calendar/reading-calendar.js';
import { ConfigError } from '../../../src/config/errors.js';
import { loadAggregatorConfig, parseAggregatorConfig } from '../../../src/config/load-aggregator-config.js';
import type { ConfigFiles } from '../../../src/config/file-refs.js';
import { root } from '../../support/processes.js';
import { configText } from './helpers.js';

const calendarSchema = CalendarSchema;

/** A file system holding exactly `files` (absolute path → text). */
function fakeFiles(files: Record<string, string>): ConfigFiles {
  return {
    readText(path) {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
      return text;
    },
    isFile: (path) => files[path] !== undefined,
  };
}

function refusal(text: string, fileName = '/etc/chiso/aggregator.yaml', files: ConfigFiles = fakeFiles({})): ConfigError {
  try {
    parseAggregatorConfig(text, fileName, { calendarSchema, env: {}, files });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected the configuration to be refused');
}

const lineOf = (text: string, needle: string) => text.slice(0, text.indexOf(needle)).split('\n').length;

describe('aggregator configuration', () => {
  it('loads config/aggregator.example.yaml when its files exist, resolving paths and reading the TLS and token files', () => {
    const file = join(root, 'config/aggregator.example.yaml');
    const files = fakeFiles({
      [file]: readFileSync(file, 'utf8'),
      '/etc/chiso/tls/aggregator.crt': 'CERT',
      '/etc/chiso/tls/aggregator.key': 'KEY',
      [join(root, 'config/secrets/admin.token')]: 'an-admin-token-of-enough-length\n',
      [join(root, 'config/keys/aggregator.key')]: 'PEM',
    });
    const c = loadAggregatorConfig(file, { calendarSchema, env: {}, files });
    expect(c.broker).toMatchObject({ embedded: true, host: '0.0.0.0', port: 1883, tls: { port: 8883, cert: 'CERT', key: 'KEY' }, publicUrl: 'mqtts://chiso.pc-hanoi.example:8883' });
    expect(c.http).toMatchObject({ host: '0.0.0.0', port: 8080, adminToken: 'an-admin-token-of-enough-length', maxBodyBytes: 65536 });
    expect(c.keys).toEqual({ privateKeyFile: join(root, 'config/keys/aggregator.key'), generate: false });
    expect(c.calendar).toEqual({ cutoff: '06:00', readingDays: { default: 'last', books: { D018328: 14 } }, shifts: [{ date: '2025-01-28', shiftDays: -1, reason: 'Tết: read the day before' }], noticeBlackouts: [] });
    expect(c.books.exportDir).toBe('/var/lib/chiso-aggregator/books/out');
    expect(c.metrics).toEqual({ host: '127.0.0.1', port: 9465 });
    expect(c.topicRoot).toBe('chiso/v1');
  });

  it('lists the example\'s missing files, each with its place', () => {
    const file = join(root, 'config/aggregator.example.yaml');
    const text = readFileSync(file, 'utf8');
    const e = refusal(text, file, fakeFiles({}));
    expect(e.message.split('\n')).toEqual([
      `${file}: broker.tls.certFile: found "/etc/chiso/tls/aggregator.crt" (no such file), expected a readable file holding the certificate (PEM) (line ${lineOf(text, 'certFile:')})`,
      `${file}: broker.tls.keyFile: found "/etc/chiso/tls/aggregator.key" (no such file), expected a readable file holding the certificate key (PEM) (line ${lineOf(text, 'keyFile:')})`,
      `${file}: http.adminTokenFile: found ${JSON.stringify(join(root, 'config/secrets/admin.token'))} (no such file), expected a readable file holding the admin token (line ${lineOf(text, 'adminTokenFile:')})`,
      `${file}: keys.privateKeyFile: found ${JSON.stringify(join(root, 'config/keys/aggregator.key'))} (no such file), expected the aggregator private key file (PEM; make one with \`openssl genpkey -algorithm ed25519\`, or set keys.generate: true) (line ${lineOf(text, 'privateKeyFile:')})`,
    ]);
  });

  it('loads config/aggregator.demo.yaml with its defaults (127.0.0.1, data under /tmp/chiso-demo)', () => {
    const c = loadAggregatorConfig(join(root, 'config/aggregator.demo.yaml'), { calendarSchema, env: {} });
    expect(c.broker).toEqual({ embedded: true, host: '127.0.0.1', port: 1883 });
    expect(c.http).toMatchObject({ host: '127.0.0.1', port: 8080, adminToken: 'demo-admin-token-not-secret' });
    expect(c.dataDir).toBe('/tmp/chiso-demo/aggregator-data');
    expect(c.keys.generate).toBe(true);
    const moved = loadAggregatorConfig(join(root, 'config/aggregator.demo.yaml'), { calendarSchema, env: { CHISO_DEMO_DIR: '/srv/demo', CHISO_DEMO_HTTP_PORT: '9090' } });
    expect(moved.dataDir).toBe('/srv/demo/aggregator-data');
    expect(moved.http.port).toBe(9090);
  });

  it('takes an external broker with a password file', () => {
    const base = configText('/srv/a').replace(/broker:\n(  .*\n)+/, 'broker:\n  embedded: false\n  url: mqtts://broker.example:8883\n  username: chiso-ingest\n  passwordFile: broker.pwd\n');
    const c = parseAggregatorConfig(base, '/etc/chiso/aggregator.yaml', { calendarSchema, env: {}, files: fakeFiles({ '/etc/chiso/broker.pwd': 's3cret\n' }) });
    expect(c.broker).toEqual({ embedded: false, url: 'mqtts://broker.example:8883', username: 'chiso-ingest', password: 's3cret' });
  });

  it('takes the export pool size, and refuses one that is not a whole number of threads', () => {
    const parse = (text: string) => parseAggregatorConfig(text, '/etc/chiso/aggregator.yaml', { calendarSchema, env: {}, files: fakeFiles({}) });
    expect(parse(configText('/srv/a')).books.exportWorkers).toBeUndefined();
    expect(parse(configText('/srv/a').replace('  exportDir: /srv/a/books\n', '  exportDir: /srv/a/books\n  exportWorkers: 0\n')).books.exportWorkers).toBe(0);
    const text = configText('/srv/a').replace('  exportDir: /srv/a/books\n', '  exportDir: /srv/a/books\n  exportWorkers: 1.5\n');
    expect(refusal(text).message).toBe(
      `/etc/chiso/aggregator.yaml: books.exportWorkers: found 1.5, expected a whole number of worker threads 0..16 (0: export on the main thread) (line ${lineOf(text, '1.5')})`,
    );
  });

  it('lists every problem at once, in file order, with found and expected', () => {
    const text = configText('/srv/a')
      .replace('  port: 0\ntopicRoot', '  port: 99999\ntopicRoot')
      .replace('  adminToken: test-admin-token-0123456789', '  adminToken: short\n  adminTokn: x')
      .replace('logLevel: silent', 'logLevel: loud\ncalendar:\n  cutoff: "25:00"');
    const e = refusal(text);
    expect(e.code).toBe('CONFIG_INVALID');
    const f = '/etc/chiso/aggregator.yaml';
    expect(e.message.split('\n')).toEqual([
      `${f}: broker.port: found 99999, expected a TCP port 0..65535 (0 picks a free port) (line ${lineOf(text, '99999')})`,
      `${f}: http.adminToken: found "short", expected an admin token of 16 to 256 characters (e.g. from \`openssl rand -base64 32\`) (line ${lineOf(text, 'adminToken:')})`,
      `${f}: http.adminTokn: found an unknown key, expected adminToken (check the spelling) (line ${lineOf(text, 'adminTokn')})`,
      `${f}: logLevel: found "loud", expected one of fatal, error, warn, info, debug, trace, silent (line ${lineOf(text, 'logLevel')})`,
      `${f}: calendar.cutoff: found "25:00", expected HH:MM (line ${lineOf(text, '25:00')})`,
    ]);
  });

  it('names the broker choice when `embedded` is missing, and a missing section', () => {
    const text = configText('/srv/a').replace('  embedded: true\n', '').replace(/books:\n  exportDir: .*\n/, '');
    const lines = refusal(text).message.split('\n');
    expect(lines).toContain(`/etc/chiso/aggregator.yaml: broker.embedded: found nothing, expected true (the built-in broker) or false (an external broker, with url and username) (line ${lineOf(text, 'host: 127')})`);
    expect(lines).toContain('/etc/chiso/aggregator.yaml: books: found nothing, expected a mapping (line 1)');
  });

  it('says which keys an external broker takes when it is given the embedded broker\'s', () => {
    const text = configText('/srv/a').replace('embedded: true', 'embedded: false\n  url: mqtt://b.example:1883\n  username: ingest');
    const lines = refusal(text).message.split('\n');
    expect(lines).toEqual([
      `/etc/chiso/aggregator.yaml: broker.host: found an unknown key, expected one of the keys embedded, url, username, password, passwordFile, caFile, publicUrl (with embedded: false) (line ${lineOf(text, 'host: 127')})`,
      `/etc/chiso/aggregator.yaml: broker.port: found an unknown key, expected one of the keys embedded, url, username, password, passwordFile, caFile, publicUrl (with embedded: false) (line ${lineOf(text, 'port: 0')})`,
    ]);
  });

  it('refuses a file that is not YAML with line and column', () => {
    const e = refusal('aggregator:\n  name: [x\n');
    expect(e.code).toBe('CONFIG_PARSE');
    expect(e.message).toMatch(/^\/etc\/chiso\/aggregator\.yaml:\d+:\d+: found a syntax error/);
  });

  it('resolves relative paths from the file\'s folder', () => {
    const c = parseAggregatorConfig(configText('data-here').replace(/dataDir: .*/, 'dataDir: data'), '/etc/chiso/aggregator.yaml', { calendarSchema, env: {} });
    expect(c.dataDir).toBe('/etc/chiso/data');
    expect(c.source).toBe(resolve('/etc/chiso/aggregator.yaml'));
  });
});
