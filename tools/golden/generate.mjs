// Generates Sui golden vectors with the official TypeScript SDK (@mysten/sui 1.45.2), offline.
// Run once: npm install && node generate.mjs  -> writes tests/data/sui/*.json
import { writeFileSync, mkdirSync } from 'node:fs';
import { blake2b } from '@noble/hashes/blake2b';
import { Transaction } from '@mysten/sui/transactions';
import { Ed25519Keypair } from '@mysten/sui/keypairs/ed25519';
import { Secp256k1Keypair } from '@mysten/sui/keypairs/secp256k1';
import { Secp256r1Keypair } from '@mysten/sui/keypairs/secp256r1';
import { verifyPersonalMessageSignature, verifyTransactionSignature } from '@mysten/sui/verify';
import { toBase64 } from '@mysten/sui/utils';

const out = new URL('../../tests/data/sui/', import.meta.url);
mkdirSync(out, { recursive: true });

const seed = (b) => new Uint8Array(32).fill(b);
const keypairs = {
  ed25519: Ed25519Keypair.fromSecretKey(seed(7)),
  secp256k1: Secp256k1Keypair.fromSecretKey(seed(8)),
  secp256r1: Secp256r1Keypair.fromSecretKey(seed(9)),
};
const hex = (u8) => Buffer.from(u8).toString('hex');

const PKG = '0x' + 'a1'.repeat(32);
const DB = { objectId: '0x' + 'd0'.repeat(32), initialSharedVersion: 3, mutable: true };
const RANDOM = { objectId: '0x8', initialSharedVersion: 5, mutable: false };
const BADGE = { objectId: '0x' + 'b0'.repeat(32), version: 11, digest: '4tq8UeQhDxD7zWy8E3kG4mG7hnCTgPqaAKJ6xbT5Qx1d' };
const COIN = { objectId: '0x' + 'c0'.repeat(32), version: 12, digest: '8qbHbw2BbbTHBW1sbeqakYXVKRQM8Ne7pLK7m6CVfeR' };
const GAS = { objectId: '0x' + '9a'.repeat(32), version: 13, digest: 'EnRQXe1hDGAJCFyF2ds2GmPHdvf9V6yxf24LisEsDkYt' };

async function build(sender, fill) {
  const tx = new Transaction();
  tx.setSender(sender);
  tx.setGasPayment([GAS]);
  tx.setGasPrice(1000);
  tx.setGasBudget(50_000_000);
  fill(tx);
  return tx.build();
}

const kp = keypairs.ed25519;
const sender = kp.toSuiAddress();
const calls = {
  subscribe_node_to_task: (tx) => tx.moveCall({ target: `${PKG}::db::subscribe_node_to_task`,
    arguments: [tx.sharedObjectRef(DB), tx.objectRef(BADGE), tx.pure.u64(7), tx.pure.u64(250_000)] }),
  acquire_new_stack_entry: (tx) => tx.moveCall({ target: `${PKG}::db::acquire_new_stack_entry`,
    arguments: [tx.sharedObjectRef(DB), tx.objectRef(COIN), tx.pure.u64(7), tx.pure.u64(1_000_000),
      tx.pure.u64(300_000), tx.sharedObjectRef(RANDOM)] }),
  claim_funds_for_stacks: (tx) => tx.moveCall({ target: `${PKG}::db::claim_funds_for_stacks`,
    arguments: [tx.sharedObjectRef(DB), tx.objectRef(BADGE), tx.pure.vector('u64', [1, 2, 300]),
      tx.pure.vector('u64', [10, 0, 1_000_000])] }),
};
const txs = [];
for (const [name, fill] of Object.entries(calls)) {
  const bytes = await build(sender, fill);
  const { signature } = await kp.signTransaction(bytes);
  await verifyTransactionSignature(bytes, signature, { address: sender });
  const tx = Transaction.from(bytes);
  txs.push({ name, sender, tx_bytes_b64: toBase64(bytes), digest: await tx.getDigest(), signature });
}
writeFileSync(new URL('transactions.json', out), JSON.stringify({
  sdk: '@mysten/sui@1.45.2', package: PKG, db: DB, random: RANDOM, badge: BADGE, coin: COIN, gas: GAS,
  gas_price: 1000, gas_budget: 50_000_000, transactions: txs }, null, 2) + '\n');

const regJson = JSON.stringify({ node_small_id: 42, public_address: 'https://node.example/ä', country: 'DE' });
const regDigest = blake2b(new TextEncoder().encode(regJson), { dkLen: 32 });
const personal = new Uint8Array([104, 105, 0, 0, 33, 0]);
const sigs = [];
for (const [scheme, k] of Object.entries(keypairs)) {
  const address = k.toSuiAddress();
  // raw "sign hashed": the keypair's sign() signs the bytes as given.
  const raw = await k.sign(regDigest);
  const serialized = toBase64(new Uint8Array([k.getKeyScheme() === 'ED25519' ? 0 : k.getKeyScheme() === 'Secp256k1' ? 1 : 2,
    ...raw, ...k.getPublicKey().toRawBytes()]));
  const pm = await k.signPersonalMessage(personal);
  await verifyPersonalMessageSignature(personal, pm.signature, { address });
  const txBytes = await build(address, calls.subscribe_node_to_task);
  const ts = await k.signTransaction(txBytes);
  sigs.push({ scheme, address, public_key_hex: hex(k.getPublicKey().toRawBytes()), keystore: k.getSecretKey(),
    registration: { message: regJson, digest_hex: hex(regDigest), signature: serialized },
    personal_message: { message_hex: hex(personal), signature: pm.signature },
    transaction: { tx_bytes_b64: toBase64(txBytes), signature: ts.signature } });
}
writeFileSync(new URL('signatures.json', out), JSON.stringify({ sdk: '@mysten/sui@1.45.2', vectors: sigs }, null, 2) + '\n');
console.log('wrote', txs.length, 'transactions and', sigs.length, 'signature vectors');
