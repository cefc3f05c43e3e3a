// Checks every GraphQL document the Shopify client sends against Shopify's
// own Admin API schema for the version the client targets, so a misspelt
// field or a wrong argument type fails CI rather than the owner's sync.
// The schema comes from a registry package (see .ci/setup); run with
// `node --test tests/shopify-schema/`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const require = createRequire(path.join(root, 'ui/package.json'));
const { buildClientSchema, parse, validate } = require('graphql');

const client = fs.readFileSync(path.join(root, 'src/storefront/shopify/client.rs'), 'utf8');
const version = client.match(/pub const API_VERSION: &str = "([0-9]{4}-[0-9]{2})"/)?.[1];
const dir = path.join(root, 'src/storefront/shopify/graphql');
const schemaFile = path.join(root, `target/shopify-admin-schema/admin_${version}.json.gz`);

test('the client names an API version whose schema is here', () => {
  assert.ok(version, 'API_VERSION not found in client.rs');
  assert.ok(fs.existsSync(schemaFile), `${schemaFile} is missing: run .ci/setup`);
});

const schema = fs.existsSync(schemaFile)
  ? buildClientSchema(JSON.parse(zlib.gunzipSync(fs.readFileSync(schemaFile))).data)
  : null;

for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.graphql')).sort()) {
  test(`${file} is valid against the Admin API ${version} schema`, () => {
    const errors = validate(schema, parse(fs.readFileSync(path.join(dir, file), 'utf8')));
    assert.deepEqual(errors.map((e) => `${e.message} (line ${e.locations?.[0]?.line})`), []);
  });
}

test('a misspelt field is caught', () => {
  const errors = validate(schema, parse('query { shop { nmae } }'));
  assert.equal(errors.length, 1);
});

test('every document the Rust code embeds exists', () => {
  const used = [...fs.readFileSync(path.join(root, 'src/storefront/shopify/client.rs'), 'utf8')
    .concat(fs.readFileSync(path.join(root, 'src/storefront/shopify/mod.rs'), 'utf8'))
    .matchAll(/include_str!\("graphql\/([a-z_]+\.graphql)"\)/g)].map((m) => m[1]);
  assert.ok(used.length >= 5);
  for (const f of used) assert.ok(fs.existsSync(path.join(dir, f)), f);
});
