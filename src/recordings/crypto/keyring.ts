import { createHash, createPublicKey, createPrivateKey, randomBytes, constants, type KeyObject } from 'node:crypto';
import { open, readFile, stat, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  KmsKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  RawRsaKeyringNode,
  getKmsClient,
  limitRegions,
  type KeyringNode,
} from '@aws-crypto/client-node';
import type { Logger } from '../../shared/log.js';
import { EU_REGIONS, regionRefusal } from '../storage/regions.js';
import { CryptoError } from './errors.js';

/**
 * Key provider namespace written into every raw-keyring encrypted data key (AES and RSA). Changing
 * it (or the key name) makes old recordings undecryptable: see docs/recording-format.md.
 */
export const KEY_NAMESPACE = 'consentline';
export const DEFAULT_KEY_NAME = 'recording-master-key';

/** Where the master key of recordings comes from. Parsed config maps onto this. */
export type RecordingKeyConfig =
  | {
      /** A raw 256-bit AES key in a local file: the embedded default. */
      readonly mode: 'local';
      readonly keyFile: string;
      readonly keyName?: string;
      /** Create a fresh key (0600) when the file is missing. Default true. */
      readonly generateIfMissing?: boolean;
    }
  | {
      /**
       * RSA-OAEP-SHA256 key wrapping. The capture host gets the public key only and can encrypt
       * but never decrypt; the private key is configured only where playback happens.
       */
      readonly mode: 'rsa';
      readonly publicKeyFile: string;
      readonly privateKeyFile?: string;
      readonly keyName?: string;
    }
  | {
      /** AWS KMS: the data key is generated and wrapped by KMS under this key ARN. */
      readonly mode: 'kms';
      readonly keyArn: string;
      /** Regions the key (and every KMS call) may be in. Default: EU_REGIONS. */
      readonly allowedRegions?: readonly string[];
    };

/** The keyring of one host, plus what the rest of the service needs to know about it. */
export interface RecordingKeyring {
  readonly mode: RecordingKeyConfig['mode'];
  /** Non-secret identifier of the master key (fingerprint or ARN), stored with each recording. */
  readonly keyId: string;
  /** The SDK keyring used for encryption. */
  readonly encryptKeyring: KeyringNode;
  /** The SDK keyring used for decryption, or null when this host holds no decrypting key. */
  readonly decryptKeyring: KeyringNode | null;
}

/**
 * Builds the keyring of this host from its configuration.
 *
 * @example
 *   const keyring = await createRecordingKeyring({ mode: 'local', keyFile: '/var/lib/consentline/recording.key' }, { log });
 */
export async function createRecordingKeyring(
  config: RecordingKeyConfig,
  deps: { log?: Logger } = {},
): Promise<RecordingKeyring> {
  switch (config.mode) {
    case 'local':
      return localKeyring(config, deps.log);
    case 'rsa':
      return rsaKeyring(config);
    case 'kms':
      return kmsKeyring(config);
    default: {
      const never: never = config;
      throw new CryptoError('CONFIG_INVALID', `unknown key mode ${JSON.stringify((never as { mode?: unknown }).mode)}`);
    }
  }
}

function fingerprint(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** The id of a local AES key: its name and the first 16 hex digits of the SHA-256 of its 32 bytes. */
function localKeyId(keyName: string, key: Uint8Array): string {
  return `local:${keyName}:${fingerprint(key)}`;
}

/**
 * Parses a key file: 32 raw bytes, or the base64 / hex text of 32 bytes. Returns an isolated
 * buffer (own ArrayBuffer, not Node's pool) as the SDK requires.
 */
export function parseAesKey(content: Uint8Array): Uint8Array {
  if (content.length === 32) return new Uint8Array(content);
  const text = Buffer.from(content).toString('utf8').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return new Uint8Array(Buffer.from(text, 'hex'));
  if (/^[A-Za-z0-9+/]{43}=$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'));
  throw new CryptoError('KEY_INVALID', 'key file must hold a 256-bit key: 32 raw bytes, 64 hex or 44 base64 characters');
}

async function localKeyring(
  config: Extract<RecordingKeyConfig, { mode: 'local' }>,
  log: Logger | undefined,
): Promise<RecordingKeyring> {
  let content: Buffer;
  try {
    content = await readFile(config.keyFile);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || config.generateIfMissing === false) {
      throw new CryptoError('KEY_INVALID', `cannot read recording key file ${config.keyFile}`, { cause: e });
    }
    content = await generateKeyFile(config.keyFile, config.keyName ?? DEFAULT_KEY_NAME, log);
  }
  const mode = (await stat(config.keyFile)).mode & 0o777;
  if (mode & 0o077) {
    log?.warn({ keyFile: config.keyFile, mode: mode.toString(8) }, 'recording key file is readable by group/others: chmod 600 it');
  }
  const key = parseAesKey(content);
  const keyName = config.keyName ?? DEFAULT_KEY_NAME;
  // Before the keyring is built: the SDK zeroes the key buffer it is given (issue 19.5, where every
  // recording was named after 32 zero bytes; docs/recording-format.md says how to read those ids).
  const keyId = localKeyId(keyName, key);
  const keyring = new RawAesKeyringNode({
    keyNamespace: KEY_NAMESPACE,
    keyName,
    unencryptedMasterKey: key,
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
  return Object.freeze({
    mode: 'local' as const,
    keyId,
    encryptKeyring: keyring,
    decryptKeyring: keyring,
  });
}

async function generateKeyFile(path: string, keyName: string, log: Logger | undefined): Promise<Buffer> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  // 'wx': never overwrite a key another process created meanwhile (that would orphan recordings).
  let fh;
  try {
    fh = await open(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return readFile(path);
    throw new CryptoError('KEY_INVALID', `cannot create recording key file ${path}`, { cause: e });
  }
  try {
    await fh.writeFile(key);
    await fh.sync();
  } finally {
    await fh.close();
  }
  log?.warn(
    { keyFile: path, keyId: localKeyId(keyName, key) },
    'generated a new recording master key (AES-256): back it up; recordings cannot be decrypted without it',
  );
  return key;
}

async function readKeyObject(path: string, kind: 'public' | 'private'): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(path);
  } catch (e) {
    throw new CryptoError('KEY_INVALID', `cannot read RSA ${kind} key file ${path}`, { cause: e });
  }
  try {
    const key = kind === 'public' ? createPublicKey(pem) : createPrivateKey(pem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`not an RSA key (${key.asymmetricKeyType})`);
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 3072) throw new Error('RSA key shorter than 3072 bits');
    return key;
  } catch (e) {
    throw new CryptoError('KEY_INVALID', `RSA ${kind} key ${path}: ${(e as Error).message}`, { cause: e });
  }
}

async function rsaKeyring(config: Extract<RecordingKeyConfig, { mode: 'rsa' }>): Promise<RecordingKeyring> {
  const publicKey = await readKeyObject(config.publicKeyFile, 'public');
  const privateKey = config.privateKeyFile ? await readKeyObject(config.privateKeyFile, 'private') : undefined;
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (privateKey) {
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    if (!derived.equals(spki)) throw new CryptoError('KEY_INVALID', 'RSA private key does not belong to the configured public key');
  }
  const keyName = config.keyName ?? DEFAULT_KEY_NAME;
  const common = {
    keyNamespace: KEY_NAMESPACE,
    keyName,
    padding: constants.RSA_PKCS1_OAEP_PADDING,
    oaepHash: 'sha256' as const,
  };
  const encryptKeyring = new RawRsaKeyringNode({ ...common, rsaKey: { publicKey: publicKey.export({ type: 'spki', format: 'pem' }) } });
  const decryptKeyring = privateKey
    ? new RawRsaKeyringNode({ ...common, rsaKey: { privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }) } })
    : null;
  return Object.freeze({ mode: 'rsa' as const, keyId: `rsa:${keyName}:${fingerprint(spki)}`, encryptKeyring, decryptKeyring });
}

const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:([a-z]{2}(?:-[a-z]+)+-\d):(\d{12}):(key|alias)\/[A-Za-z0-9/_-]+$/;

/** The region of a KMS key ARN, or a CryptoError when it is no full key/alias ARN. */
export function kmsKeyRegion(keyArn: string): string {
  const m = KMS_KEY_ARN.exec(keyArn);
  if (!m) {
    throw new CryptoError('CONFIG_INVALID', `KMS key must be a full key or alias ARN (arn:aws:kms:<region>:<account>:key/<id>), got "${keyArn}"`);
  }
  return m[1]!;
}

function kmsKeyring(config: Extract<RecordingKeyConfig, { mode: 'kms' }>): RecordingKeyring {
  const allowed = config.allowedRegions ?? EU_REGIONS;
  const region = kmsKeyRegion(config.keyArn);
  const refusal = regionRefusal(region, allowed);
  if (refusal) throw new CryptoError('CONFIG_INVALID', `KMS key: ${refusal}`);
  // limitRegions: the SDK itself refuses to create a KMS client (and so to call KMS) elsewhere.
  const clientProvider = limitRegions([...allowed], getKmsClient);
  const keyring = new KmsKeyringNode({ generatorKeyId: config.keyArn, clientProvider });
  return Object.freeze({ mode: 'kms' as const, keyId: config.keyArn, encryptKeyring: keyring, decryptKeyring: keyring });
}
