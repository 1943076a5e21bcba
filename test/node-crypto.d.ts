// node:crypto as the workers tests use it under nodejs_compat (this project has no @types/node):
// only what test/v1a-verify.ts needs to verify a v1a signature the way a Node receiver does.
declare module "node:crypto" {
  interface KeyObject {
    readonly asymmetricKeyType?: string;
  }
  export function createPublicKey(options: { key: JsonWebKey; format: "jwk" }): KeyObject;
  export function verify(algorithm: null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean;
}
