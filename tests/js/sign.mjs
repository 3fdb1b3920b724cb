// node sign.mjs UNSIGNED.json SECRET_MULTIBASE PUBLIC_MULTIBASE: the credential signed with
// eddsa-rdfc-2022 by did:key:PUBLIC, printed as JSON.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {makeLoader} from './loader.mjs';

const [file, secretKeyMultibase, publicKeyMultibase] = process.argv.slice(2);
const controller = `did:key:${publicKeyMultibase}`;
const keyPair = await Ed25519Multikey.from({
  id: `${controller}#${publicKeyMultibase}`, controller, publicKeyMultibase, secretKeyMultibase
});
const suite = new DataIntegrityProof({signer: keyPair.signer(), cryptosuite});
const credential = JSON.parse(readFileSync(file, 'utf8'));
const signed = await vc.issue({credential, suite, documentLoader: makeLoader()});
console.log(JSON.stringify(signed));
