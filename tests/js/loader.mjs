// A document loader that never reaches the network: the JSON-LD contexts pinned in the Python
// package, did:key documents built from the key itself, and DID documents given as files.
import {readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath} from 'node:url';

const CONTEXTS = join(dirname(fileURLToPath(import.meta.url)),
  '..', '..', 'src', 'adapters', 'badges', 'contexts');
const index = JSON.parse(readFileSync(join(CONTEXTS, 'index.json'), 'utf8'));
const MULTIKEY = 'https://w3id.org/security/multikey/v1';
const DID = 'https://www.w3.org/ns/did/v1';

function didKeyDocument(did) {
  const multibase = did.slice('did:key:'.length);
  const method = {id: `${did}#${multibase}`, type: 'Multikey', controller: did,
    publicKeyMultibase: multibase};
  return {'@context': [DID, MULTIKEY], id: did, verificationMethod: [method],
    assertionMethod: [method.id], authentication: [method.id]};
}

export function makeLoader(didDocuments = []) {
  const documents = new Map(didDocuments.map(d => [d.id, d]));
  return async url => {
    if(index.contexts[url]) {
      const document = JSON.parse(readFileSync(join(CONTEXTS, index.contexts[url]), 'utf8'));
      return {contextUrl: null, documentUrl: url, document};
    }
    const [did, fragment] = url.split('#');
    let document = documents.get(did);
    if(!document && did.startsWith('did:key:')) {
      document = didKeyDocument(did);
    }
    if(!document) {
      throw new Error(`not available offline: ${url}`);
    }
    if(fragment !== undefined) {
      const method = (document.verificationMethod || []).find(
        m => m.id === url || m.id === `#${fragment}`);
      if(!method) {
        throw new Error(`no verification method ${url}`);
      }
      return {contextUrl: null, documentUrl: url,
        document: {'@context': MULTIKEY, ...method, id: url}};
    }
    return {contextUrl: null, documentUrl: url, document};
  };
}
