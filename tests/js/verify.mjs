// node verify.mjs CREDENTIAL.json [DID_DOCUMENT.json ...]: {"verified": bool, "error": "..."};
// exit 0 only when verified. Status lists are not fetched: the status check is left to the
// product (this verifier checks the proof, the issuer's key and the dates).
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {makeLoader} from './loader.mjs';

const [file, ...didFiles] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(file, 'utf8'));
const documentLoader = makeLoader(didFiles.map(f => JSON.parse(readFileSync(f, 'utf8'))));
const suite = new DataIntegrityProof({cryptosuite});
let result;
try {
  result = await vc.verifyCredential({
    credential, suite, documentLoader, checkStatus: async () => ({verified: true})
  });
} catch(error) {
  result = {verified: false, error};
}
const error = result.verified ? '' : String(
  result.error?.errors?.[0]?.message || result.error?.message ||
  JSON.stringify(result.results?.[0]?.error || result.error || result));
console.log(JSON.stringify({verified: result.verified, error}));
process.exit(result.verified ? 0 : 1);
