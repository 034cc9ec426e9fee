// validate.js parses Adaptive Cards with Microsoft's adaptivecards package
// (the renderer's own parser) and fails when it reports an error.
//
// usage: node validate.js <card.json>...
//
// A card fails when:
//   - it is not an AdaptiveCard of version 1.5 (what Teams renders);
//   - parsing logs an event (unknown element or action type, a property
//     with an invalid value, a forbidden type...);
//   - validateProperties() reports anything but a hint or a deprecation
//     (those are printed as warnings);
//   - the parser drops a property: serialising the parsed card again must
//     give back every property of the input, so a misspelt or unknown
//     property (which the parser ignores silently) is caught too.
// Exit status: 0 all valid, 1 some invalid, 2 usage or I/O error.
'use strict';

const fs = require('fs');
const path = require('path');

function loadAdaptiveCards() {
  // Resolve from the repository's node_modules, wherever the script is run from.
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', 'adaptivecards', 'dist', 'adaptivecards.js');
    if (fs.existsSync(candidate)) return require(candidate);
    const parent = path.dirname(dir);
    if (parent === dir) return require('adaptivecards/dist/adaptivecards.js');
    dir = parent;
  }
}

const AC = loadAdaptiveCards();
const warningEvents = new Set([AC.ValidationEvent.Hint, AC.ValidationEvent.Deprecated]);

// dropped lists the paths of input properties the serialised card lacks.
function dropped(input, output, where, out) {
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) {
      out.push(`${where} (had ${input.length} items, parser kept ${Array.isArray(output) ? output.length : 'none'})`);
      return out;
    }
    input.forEach((v, i) => dropped(v, output[i], `${where}[${i}]`, out));
    return out;
  }
  if (input !== null && typeof input === 'object') {
    if (output === null || typeof output !== 'object') {
      out.push(where);
      return out;
    }
    for (const key of Object.keys(input)) {
      if (!(key in output)) out.push(`${where}.${key}`);
      else dropped(input[key], output[key], `${where}.${key}`, out);
    }
  }
  return out;
}

function eventName(e) {
  return AC.ValidationEvent[e] || String(e);
}

function validate(file) {
  const errors = [];
  const warnings = [];
  let json;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return { errors: [`cannot read: ${err.message}`], warnings };
  }
  if (json.type !== 'AdaptiveCard') errors.push(`type is ${JSON.stringify(json.type)}, not "AdaptiveCard"`);
  if (json.version !== '1.5') errors.push(`version is ${JSON.stringify(json.version)}, not "1.5"`);

  // adaptivecards 3.0.6 checks "lang" with one shared RegExp that has the
  // g flag (/^[a-z]{2,3}$/gi) and calls exec on it: exec then starts at the
  // lastIndex the previous match left, so every other valid "lang" parsed
  // in one process is reported invalid (microsoft/AdaptiveCards#9145).
  // Rewinding it before each card keeps the check and drops the bug.
  AC.CardElement.langProperty.regEx.lastIndex = 0;
  const card = new AC.AdaptiveCard();
  const ctx = new AC.SerializationContext(AC.Versions.v1_5);
  card.parse(json, ctx);
  for (let i = 0; i < ctx.eventCount; i++) {
    const e = ctx.getEventAt(i);
    (warningEvents.has(e.event) ? warnings : errors).push(`parse: ${eventName(e.event)}: ${e.message}`);
  }
  for (const e of card.validateProperties().validationEvents) {
    (warningEvents.has(e.event) ? warnings : errors).push(`validate: ${eventName(e.event)}: ${e.message}`);
  }
  const again = card.toJSON(new AC.SerializationContext(AC.Versions.v1_5));
  for (const p of dropped(json, again, '$', [])) errors.push(`parser dropped ${p}`);
  return { errors, warnings };
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: node validate.js <card.json>...');
  process.exit(2);
}
let failed = 0;
for (const file of files) {
  const { errors, warnings } = validate(file);
  for (const w of warnings) console.log(`WARN ${file}: ${w}`);
  for (const e of errors) console.log(`FAIL ${file}: ${e}`);
  if (errors.length > 0) failed++;
  else console.log(`ok   ${file}`);
}
process.exit(failed > 0 ? 1 : 0);
