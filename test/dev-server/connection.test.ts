/**
 * Where orch connects: Temporal's config file profiles and TEMPORAL_* variables through
 * @temporalio/envconfig, the command's flags over both, and orch's one rule (nothing
 * configured: the local dev server). Every environment here is hermetic: HOME points at an
 * empty directory, so a developer's own temporal.toml is never read.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, loadTemporalSettings, resolveTemporalConnection, TemporalServerError, type ResolveConnectionOptions } from '../../dev-server/index.ts';

let scratch: string;
let home: string;
let configFile: string;
beforeAll(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'orch-connection-'));
  home = path.join(scratch, 'home');
  await mkdir(home);
  configFile = path.join(scratch, 'temporal.toml');
  await writeFile(
    configFile,
    [
      '[profile.default]',
      'address = "default.example:7233"',
      '',
      '[profile.prod]',
      'address = "prod.example:7233"',
      'namespace = "prod-ns"',
      'api_key = "prod-key"',
      '',
      '[profile.local]',
      'namespace = "agents"',
      '',
    ].join('\n'),
  );
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const env = (vars: Record<string, string> = {}): NodeJS.ProcessEnv => ({ HOME: home, ...vars });
const resolve = (vars: Record<string, string>, flags: Omit<ResolveConnectionOptions, 'env'> = {}) => resolveTemporalConnection({ env: env(vars), ...flags });

function failure(act: () => unknown): { code: string; message: string } {
  try {
    act();
  } catch (error) {
    if (TemporalServerError.is(error)) return { code: error.code, message: error.message };
    return { code: `not a TemporalServerError: ${String(error)}`, message: '' };
  }
  return { code: 'no error', message: '' };
}

describe('the environment alone', () => {
  it('is the local dev server without an address or a profile; blank values are unset', () => {
    expect(resolve({})).toBeNull();
    expect(resolve({ TEMPORAL_ADDRESS: '  ', TEMPORAL_NAMESPACE: 'x' })).toBeNull();
    expect(loadTemporalSettings({ env: env({ TEMPORAL_NAMESPACE: 'agents' }) })).toEqual({ cluster: null, namespace: 'agents' });
  });

  it('defaults the namespace and leaves TLS off for a plain address', () => {
    expect(resolve({ TEMPORAL_ADDRESS: 'temporal:7233' })).toEqual({ address: 'temporal:7233', namespace: 'default' });
    expect(resolve({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'agents' })).toEqual({ address: 'temporal:7233', namespace: 'agents' });
  });

  it('turns TLS on for an API key (Temporal Cloud), unless TEMPORAL_TLS=false', () => {
    const cloud = { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'secret' };
    expect(resolve(cloud)).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'secret', tls: true });
    expect(resolve({ ...cloud, TEMPORAL_TLS: 'false' })).toEqual({ address: 'ns.acct.tmprl.cloud:7233', namespace: 'ns.acct', apiKey: 'secret' });
    expect(resolve({ TEMPORAL_ADDRESS: 'a:1', TEMPORAL_TLS: 'true' })?.tls).toBe(true);
  });

  it('reads the TLS variables, certificate files included, into the SDK TLS config', async () => {
    const dir = path.join(scratch, 'certs');
    await mkdir(dir, { recursive: true });
    await writeFile(path.join(dir, 'ca.pem'), 'CA');
    await writeFile(path.join(dir, 'client.pem'), 'CRT');
    const config = resolve({
      TEMPORAL_ADDRESS: 'a:7233',
      TEMPORAL_TLS_SERVER_CA_CERT_PATH: path.join(dir, 'ca.pem'),
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: 'KEY',
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    });
    const tls = config?.tls === true ? {} : (config?.tls ?? {});
    expect(tls.serverNameOverride).toBe('temporal.internal');
    expect(Buffer.from(tls.serverRootCACertificate ?? []).toString()).toBe('CA');
    expect(Buffer.from(tls.clientCertPair?.crt ?? []).toString()).toBe('CRT');
    expect(Buffer.from(tls.clientCertPair?.key ?? []).toString()).toBe('KEY');
  });

  it('rejects a certificate without its key, a malformed TEMPORAL_TLS and an unreadable certificate', () => {
    expect(failure(() => resolve({ TEMPORAL_ADDRESS: 'a:1', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem' })).message).toMatch(/only the certificate is set/);
    expect(failure(() => resolve({ TEMPORAL_ADDRESS: 'a:1', TEMPORAL_TLS: 'yes' }))).toEqual({ code: 'TEMPORAL_CONFIG_INVALID', message: 'TEMPORAL_TLS=yes is not a boolean (use true or false).' });
    const missing = path.join(scratch, 'missing.pem');
    const unreadable = failure(() => resolve({ TEMPORAL_ADDRESS: 'a:1', TEMPORAL_TLS_SERVER_CA_CERT_PATH: missing }));
    expect(unreadable.code).toBe('TEMPORAL_CONFIG_INVALID');
    expect(unreadable.message).toContain(missing);
  });
});

describe('a config file profile', () => {
  it('TEMPORAL_CONFIG_FILE with TEMPORAL_PROFILE selects a profile; the default profile otherwise', () => {
    expect(resolve({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'prod' })).toEqual({ address: 'prod.example:7233', namespace: 'prod-ns', apiKey: 'prod-key', tls: true });
    expect(resolve({ TEMPORAL_CONFIG_FILE: configFile })).toEqual({ address: 'default.example:7233', namespace: 'default' });
  });

  it('is found at the default place, $HOME/.config/temporalio/temporal.toml', async () => {
    if (process.platform === 'win32' || process.platform === 'darwin') return;
    const other = path.join(scratch, 'home-with-config');
    await mkdir(path.join(other, '.config', 'temporalio'), { recursive: true });
    await writeFile(path.join(other, '.config', 'temporalio', 'temporal.toml'), '[profile.default]\naddress = "found.example:7233"\n');
    expect(resolveTemporalConnection({ env: { HOME: other } })?.address).toBe('found.example:7233');
  });

  it('the environment wins over the profile, and the flags over both', () => {
    const vars = { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'prod', TEMPORAL_NAMESPACE: 'env-ns' };
    expect(resolve(vars)).toMatchObject({ address: 'prod.example:7233', namespace: 'env-ns' });
    expect(resolve({ ...vars, TEMPORAL_ADDRESS: 'env.example:7233' })?.address).toBe('env.example:7233');
    expect(resolve({ ...vars, TEMPORAL_ADDRESS: 'env.example:7233' }, { address: 'flag.example:7233', namespace: 'flag-ns' })).toMatchObject({
      address: 'flag.example:7233',
      namespace: 'flag-ns',
      apiKey: 'prod-key',
    });
    expect(resolve(vars, { profile: 'default' })?.address).toBe('default.example:7233');
  });

  it('an empty file has no profiles: the environment alone, and a chosen profile is missing', async () => {
    const empty = path.join(scratch, 'empty.toml');
    await writeFile(empty, '');
    expect(resolve({ TEMPORAL_CONFIG_FILE: empty })).toBeNull();
    expect(resolve({ TEMPORAL_CONFIG_FILE: empty, TEMPORAL_ADDRESS: 'a:1' })).toEqual({ address: 'a:1', namespace: 'default' });
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: empty }, { profile: 'prod' })).message).toBe(`${empty}: no profile "prod" (it has none)`);
  });

  it('a chosen profile without an address is a cluster at Temporal\'s default address; an unchosen one leaves the dev server', async () => {
    expect(resolve({ TEMPORAL_CONFIG_FILE: configFile }, { profile: 'local' })).toEqual({ address: 'localhost:7233', namespace: 'agents' });
    const onlyNamespace = path.join(scratch, 'only-namespace.toml');
    await writeFile(onlyNamespace, '[profile.default]\nnamespace = "agents"\n');
    expect(loadTemporalSettings({ env: env({ TEMPORAL_CONFIG_FILE: onlyNamespace }) })).toEqual({ cluster: null, namespace: 'agents' });
  });
});

describe('a config file that is wrong', () => {
  it('invalid TOML: located at file:line:column', async () => {
    const broken = path.join(scratch, 'broken.toml');
    await writeFile(broken, '[profile.default]\naddress = "a:1"\nnamespace = \n');
    const { code, message } = failure(() => resolve({ TEMPORAL_CONFIG_FILE: broken }));
    expect(code).toBe('TEMPORAL_CONFIG_INVALID');
    expect(message).toMatch(new RegExp(`^${broken.replaceAll('\\', '\\\\')}:3:\\d+: invalid TOML: `));
    expect(message).not.toContain('\n');
  });

  it('a named file that is missing or unreadable, a profile it lacks, a profile with no file', () => {
    const missing = path.join(scratch, 'nope.toml');
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: missing })).message).toBe(`${missing}: cannot read the Temporal config file (TEMPORAL_CONFIG_FILE): no such file`);
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: scratch })).message).toBe(`${scratch}: cannot read the Temporal config file (TEMPORAL_CONFIG_FILE): it is a directory`);
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'staging' })).message).toBe(
      `${configFile}: no profile "staging" (it has "default", "prod", "local")`,
    );
    expect(failure(() => resolve({}, { profile: 'prod' })).message).toMatch(/^no Temporal config file to read profile "prod" from: set TEMPORAL_CONFIG_FILE/);
  });

  it('a value of the wrong type, and both a path and inline data for one certificate', async () => {
    const typed = path.join(scratch, 'typed.toml');
    await writeFile(typed, '[profile.default]\naddress = 7233\n');
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: typed })).message).toBe(`profile "default" in ${typed}: address must be a string`);
    const both = path.join(scratch, 'both.toml');
    await writeFile(both, '[profile.default]\naddress = "a:1"\n[profile.default.tls]\nserver_ca_cert_path = "/ca.pem"\nserver_ca_cert_data = "CA"\n');
    expect(failure(() => resolve({ TEMPORAL_CONFIG_FILE: both })).message).toMatch(new RegExp(`^profile "default" in .*both\\.toml: Cannot specify both server_ca_cert_path and server_ca_cert_data`));
  });
});

describe('connectionOptions', () => {
  it('keeps what the SDK connection takes, not the namespace', () => {
    expect(connectionOptions({ address: 'a:1', namespace: 'n' })).toEqual({ address: 'a:1' });
    expect(connectionOptions({ address: 'a:1', namespace: 'n', apiKey: 'k', tls: true, metadata: { x: 'y' } })).toEqual({ address: 'a:1', apiKey: 'k', tls: true, metadata: { x: 'y' } });
  });
});
