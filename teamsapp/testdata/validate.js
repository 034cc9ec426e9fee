// validate.js checks unzipped Teams app packages with Microsoft's own
// validator, offline: node validate.js DIR...
//
// For each DIR it validates DIR/manifest.json against the app manifest schema and every
// localization file it lists against the localization schema, both loaded
// from the copies bundled in @microsoft/app-manifest, and checks that the
// icons exist and that every localized key names a field of the manifest
// (Teams silently ignores keys that do not).
//
// Prints {"packages": {DIR: [errors...], ...}} and exits 0 when no package
// has errors, 1 when one has, 2 when it could not run. Several packages
// share one run because loading the validator dominates the time.
'use strict';

const fs = require('fs');
const path = require('path');

// The schemas must come from the package, never from the network: any
// fetch the library attempts fails the run instead of silently succeeding.
globalThis.fetch = async (url) => {
  throw new Error(`validate.js refuses network access (${url}): the schema must be bundled`);
};

const { AppManifestUtils } = require('@microsoft/app-manifest');

const schemaBase = 'https://developer.microsoft.com/json-schemas/teams/';

const pkgDir = path.dirname(require.resolve('@microsoft/app-manifest/package.json'));

// libRequire loads one of the library's own dependencies (ajv and friends),
// so the localization check runs the same validator versions.
function libRequire(name) {
  const mod = require(require.resolve(name, { paths: [pkgDir] }));
  return mod.default || mod;
}

function readJSON(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

// bundledSchema loads json-schemas/teams/v{version}/{name} from the package.
function bundledSchema(version, name) {
  const file = path.join(pkgDir, 'build', 'json-schemas', 'teams', 'v' + version, name);
  if (!fs.existsSync(file)) {
    throw new Error(`@microsoft/app-manifest ships no ${name} for manifest version ${version}`);
  }
  return readJSON(file);
}

// lookup follows a localization key such as
// bots[0].commandLists[1].commands[2].title through the manifest.
function lookup(obj, key) {
  let cur = obj;
  for (const m of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (cur === undefined || cur === null) return undefined;
    cur = m[1] !== undefined ? cur[m[1]] : cur[Number(m[2])];
  }
  return cur;
}

// validateLocalization validates a localization file the way
// AppManifestUtils.validateAgainstSchema does (ajv draft-04, allErrors,
// formats uri/email/regex, the same error strings) with one difference:
// Microsoft's localization schema has patterns with a bare ']'
// (activities.activityTypes\[\b...\b]) that are invalid as unicode regular
// expressions, so AppManifestUtils cannot compile it; ajv's unicodeRegExp:
// false compiles them as Microsoft's own (non-unicode) validators do.
function validateLocalization(strings, schema) {
  const Ajv = libRequire('ajv-draft-04');
  const ajv = new Ajv({ allErrors: true, strictTypes: false, unicodeRegExp: false });
  libRequire('ajv-formats')(ajv, ['uri', 'email', 'regex']);
  const validate = ajv.compile(schema);
  if (validate(strings)) return [];
  return validate.errors.map(
    (e) => `${e.instancePath} ${e.message || ''}. Details: ${e.params ? JSON.stringify(e.params) : ''}`,
  );
}

async function validatePackage(dir) {
  const errors = [];
  const manifest = readJSON(path.join(dir, 'manifest.json'));
  const version = String(manifest.manifestVersion);

  const wantSchema = `${schemaBase}v${version}/MicrosoftTeams.schema.json`;
  if (manifest.$schema !== wantSchema) {
    errors.push(`manifest.json: $schema is ${JSON.stringify(manifest.$schema)}, want ${wantSchema}`);
  }
  const schema = bundledSchema(version, 'MicrosoftTeams.schema.json');
  for (const e of await AppManifestUtils.validateAgainstSchema(manifest, schema)) {
    errors.push(`manifest.json: ${e}`);
  }

  for (const kind of ['color', 'outline']) {
    const f = manifest.icons && manifest.icons[kind];
    if (!f || !fs.existsSync(path.join(dir, f))) {
      errors.push(`manifest.json: icons.${kind} ${JSON.stringify(f)} is not in the package`);
    }
  }

  const languages = (manifest.localizationInfo && manifest.localizationInfo.additionalLanguages) || [];
  if (languages.length > 0) {
    const locSchema = bundledSchema(version, 'MicrosoftTeams.Localization.schema.json');
    const wantLoc = `${schemaBase}v${version}/MicrosoftTeams.Localization.schema.json`;
    for (const lang of languages) {
      const file = path.join(dir, lang.file);
      if (!fs.existsSync(file)) {
        errors.push(`manifest.json: localization file ${lang.file} (${lang.languageTag}) is not in the package`);
        continue;
      }
      const strings = readJSON(file);
      if (strings.$schema !== wantLoc) {
        errors.push(`${lang.file}: $schema is ${JSON.stringify(strings.$schema)}, want ${wantLoc}`);
      }
      for (const e of validateLocalization(strings, locSchema)) {
        errors.push(`${lang.file}: ${e}`);
      }
      for (const key of Object.keys(strings)) {
        if (key === '$schema' || key === 'localizationKeys') continue;
        if (typeof lookup(manifest, key) !== 'string') {
          errors.push(`${lang.file}: ${key} names no text field of manifest.json`);
        }
      }
    }
  }
  return errors;
}

async function main() {
  const dirs = process.argv.slice(2);
  if (dirs.length === 0) throw new Error('usage: node validate.js PACKAGE_DIR...');
  const packages = {};
  for (const dir of dirs) packages[dir] = await validatePackage(dir);
  return packages;
}

main().then(
  (packages) => {
    process.stdout.write(JSON.stringify({ packages }) + '\n');
    process.exit(Object.values(packages).every((errors) => errors.length === 0) ? 0 : 1);
  },
  (err) => {
    process.stderr.write(`validate.js: ${err.stack || err}\n`);
    process.exit(2);
  },
);
