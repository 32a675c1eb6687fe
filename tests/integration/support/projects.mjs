// For tests that run a fixture project (fixtures/projects/NAME) as its user would: a copy under
// tests/.tmp-XXXXXX (so its imports resolve from tests/node_modules, as a deployed function's
// resolve from its own node_modules), the dummy AWS credentials its SDK clients need, and a
// poll for what the project eventually does.
import { cp, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { REGION } from './dynamodb.mjs';

export const FIXTURES =
  process.env.WSGW_FIXTURES || fileURLToPath(new URL('../../../fixtures/', import.meta.url));
const TESTS_DIR = fileURLToPath(new URL('../../', import.meta.url));

// The environment a project's functions and the test's own SDK clients run with: credentials
// wsgw accepts, no shared config or instance metadata to look up.
export const awsCredentials = {
  AWS_ACCESS_KEY_ID: 'AKIDWSGWTEST',
  AWS_SECRET_ACCESS_KEY: 'wsgw-test-secret',
  AWS_DEFAULT_REGION: REGION,
  AWS_REGION: REGION,
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  AWS_EC2_METADATA_DISABLED: 'true',
};

const copies = new Set();

// A fresh copy of fixtures/projects/NAME (or of the folder `source`); removeProjectCopies()
// deletes every copy (call it from the test file's after()).
export async function copyProject(name, source = path.join(FIXTURES, 'projects', name)) {
  const dir = await mkdtemp(path.join(TESTS_DIR, '.tmp-'));
  copies.add(dir);
  await cp(source, dir, { recursive: true });
  return dir;
}

export async function removeProjectCopies() {
  await Promise.all([...copies].map((dir) => rm(dir, { recursive: true, force: true })));
  copies.clear();
}

// Resolves with check()'s first truthy value, polling every `stepMs`; rejects naming `what`
// after `timeoutMs`.
export async function until(check, what, timeoutMs = 8000, stepMs = 50) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
}
