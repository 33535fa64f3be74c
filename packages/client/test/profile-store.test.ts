import assert from 'node:assert/strict';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ClientError } from '../src/errors.js';
import { configPath, importProfile, readProfiles, removeProfile } from '../src/profile-store.js';
import { makeUri, tempDir } from './helpers.js';

const isWindows = process.platform === 'win32';

function expectClientError(f: () => unknown, code: string, ...parts: (string | RegExp)[]): ClientError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof ClientError, `expected a ClientError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const p of parts) {
    const text = `${caught.message}\n${caught.hint}`;
    if (typeof p === 'string') assert.ok(text.includes(p), `"${text}" should contain "${p}"`);
    else assert.match(text, p);
  }
  return caught;
}

describe('profile store', () => {
  test('import, list and remove round trip; file 0600 in a 0700 directory', (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'spa', 'client.toml');
    const uri = makeUri({ server: 'web1', host: 'web1.example.com' });
    const stored = importProfile(path, uri);
    assert.equal(stored.name, 'web1');
    importProfile(path, makeUri({ server: 'db' }), { name: 'db-prod' });
    if (!isWindows) {
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(dir, 'spa')).mode & 0o777, 0o700);
    }
    const file = readProfiles(path);
    assert.deepEqual(
      file.profiles.map((p) => p.name),
      ['web1', 'db-prod'],
    );
    const web1 = file.profiles[0]!;
    assert.equal(web1.uri, uri);
    assert.equal(web1.profile.host, 'web1.example.com');
    assert.deepEqual(web1.profile.services.ssh, { protocol: 'tcp', port: 22 });
    // Readable fields are written next to the uri.
    const text = readFileSync(path, 'utf8');
    assert.match(text, /\[profiles\.web1\]/);
    assert.match(text, /host = "web1\.example\.com"/);
    assert.match(text, /ssh = "22\/tcp"/);
    removeProfile(path, 'web1');
    assert.deepEqual(
      readProfiles(path).profiles.map((p) => p.name),
      ['db-prod'],
    );
    expectClientError(() => removeProfile(path, 'web1'), 'no-profile', 'no profile named "web1"', 'db-prod');
  });

  test('a missing file is an empty store', (t) => {
    assert.deepEqual(readProfiles(join(tempDir(t), 'none.toml')).profiles, []);
  });

  test('a name clash is refused unless --force', (t) => {
    const path = join(tempDir(t), 'c.toml');
    importProfile(path, makeUri({ host: 'a.example' }));
    expectClientError(
      () => importProfile(path, makeUri({ host: 'b.example' })),
      'exists',
      '"web1"',
      '--name',
      '--force',
    );
    importProfile(path, makeUri({ host: 'b.example' }), { force: true });
    assert.equal(readProfiles(path).profiles[0]!.profile.host, 'b.example');
  });

  test('a bad name or a bad uri is refused at import', (t) => {
    const path = join(tempDir(t), 'c.toml');
    expectClientError(() => importProfile(path, makeUri(), { name: 'has space' }), 'usage', 'profile name');
    expectClientError(() => importProfile(path, 'spa://v1/abc.00000000'), 'usage', 'profile');
    expectClientError(() => importProfile(path, `${makeUri().slice(0, -3)}zzz`), 'usage', 'profile');
  });

  test('a file readable by group or others is refused with the chmod fix', { skip: isWindows }, (t) => {
    const path = join(tempDir(t), 'c.toml');
    importProfile(path, makeUri());
    chmodSync(path, 0o644);
    const e = expectClientError(() => readProfiles(path), 'permissions', path, '0644', `chmod 600 ${path}`);
    assert.equal(e.exitCode, 3);
    // Import refuses to add to it too.
    expectClientError(() => importProfile(path, makeUri(), { name: 'x' }), 'permissions');
    chmodSync(path, 0o640);
    expectClientError(() => readProfiles(path), 'permissions', 'chmod 600');
    chmodSync(path, 0o600);
    assert.equal(readProfiles(path).profiles.length, 1);
  });

  test('corrupt TOML names the file and the line, and never echoes the line', (t) => {
    const path = join(tempDir(t), 'c.toml');
    const uri = makeUri();
    writeFileSync(path, `[profiles.web1]\nuri = "${uri}\nhost = "x"\n`, { mode: 0o600 });
    const e = expectClientError(() => readProfiles(path), 'config', path, /line 2/);
    assert.ok(!`${e.message}${e.hint}`.includes(uri.slice(10, 40)), 'the message must not contain the uri');
  });

  test('missing and wrong fields name the file and the key', (t) => {
    const path = join(tempDir(t), 'c.toml');
    writeFileSync(path, '[profiles.web1]\nhost = "web1.example.com"\n', { mode: 0o600 });
    expectClientError(
      () => readProfiles(path),
      'config',
      path,
      'profiles.web1.uri is missing',
      '--name web1',
    );
    writeFileSync(path, '[profiles.web1]\nuri = 42\n', { mode: 0o600 });
    expectClientError(() => readProfiles(path), 'config', 'profiles.web1.uri must be a string');
    writeFileSync(path, '[profiles.web1]\nuri = "spa://v1/AAAA.00000000"\n', { mode: 0o600 });
    expectClientError(() => readProfiles(path), 'config', 'profiles.web1.uri: profile: checksum mismatch');
    writeFileSync(path, 'profiles = 3\n', { mode: 0o600 });
    expectClientError(() => readProfiles(path), 'config', '"profiles" must be a table');
    writeFileSync(path, `[profiles.web1]\nuri = "${makeUri()}"\nhost = "no spaces allowed"\n`, {
      mode: 0o600,
    });
    expectClientError(() => readProfiles(path), 'config', 'profiles.web1.host');
  });

  test('an edited host overrides the one in the uri', (t) => {
    const path = join(tempDir(t), 'c.toml');
    importProfile(path, makeUri({ host: 'old.example' }));
    writeFileSync(path, readFileSync(path, 'utf8').replace('host = "old.example"', 'host = "10.1.2.3"'), {
      mode: 0o600,
    });
    assert.equal(readProfiles(path).profiles[0]!.profile.host, '10.1.2.3');
  });

  test('config path: --config, then SPA_CLIENT_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    const env = { SPA_CLIENT_CONFIG: '/etc/x/c.toml', XDG_CONFIG_HOME: '/xdg' };
    assert.equal(configPath('/a/b.toml', env, '/home/u'), '/a/b.toml');
    assert.equal(configPath(undefined, env, '/home/u'), '/etc/x/c.toml');
    assert.equal(
      configPath(undefined, { XDG_CONFIG_HOME: '/xdg' }, '/home/u'),
      join('/xdg', 'spa', 'client.toml'),
    );
    if (!isWindows) assert.equal(configPath(undefined, {}, '/home/u'), '/home/u/.config/spa/client.toml');
  });
});
