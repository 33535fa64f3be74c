/**
 * Wire format of an SPA packet: sizes and offsets, in one place (docs/protocol.md §3).
 *
 *   offset  size  field
 *   0       24    nonce        random per packet; XChaCha20-Poly1305 nonce
 *   24      8     lookup       per-client, per-step lookup tag XOR HChaCha20(header key, nonce[0..16])[0..8]
 *   32      256   ciphertext   XChaCha20-Poly1305(enc key, nonce, AAD = bytes 0..32) of the payload
 *   288     16    aead tag     Poly1305 tag
 *   304     32    knock tag    HMAC-SHA256(mac key, bytes 0..304)
 *   336           end          every packet is exactly 336 bytes
 *
 * Payload (plaintext, 256 bytes, all integers big-endian):
 *
 *   0    1   version          PROTOCOL_VERSION
 *   1    1   flags            bit 0: authorize the packet's source address;
 *                             bit 1: signed (a signature block ends the payload); other bits 0
 *   2    8   timestamp        milliseconds since the Unix epoch
 *   10   16  one-time id      random, remembered by the server
 *   26   16  server id        the server this knock is meant for
 *   42   4   duration         seconds requested; 0 = the server's default
 *   46   1   address family   0 (with flag bit 0), 4 or 6
 *   47   16  address          IPv4 in the first 4 bytes, the rest zero; or IPv6; zero when family 0
 *   63   1   access count     1..ACCESS_MAX
 *   64   ..  access entries   type 1: service name  = 0x01, len (1..32), ASCII name
 *                             type 2: port          = 0x02, IP protocol (6 tcp, 17 udp), port u16
 *   ..   ..  padding          zero bytes up to 256 (up to 186 when signed)
 *
 * Signature block (flag bit 1 only; knock-signature.ts, docs/protocol.md §12):
 *
 *   186  1   key type         1 ssh-ed25519, 2 sk-ssh-ed25519@openssh.com,
 *                             3 ecdsa-sha2-nistp256, 4 sk-ecdsa-sha2-nistp256@openssh.com
 *   187  1   sk flags         the authenticator's flags (sk types), else 0
 *   188  4   sk counter       the authenticator's counter (sk types), else 0
 *   192  64  signature        ed25519 R ‖ S, or ECDSA r ‖ s (32 bytes each)
 */

export const PROTOCOL_VERSION = 1;

export const NONCE_OFFSET = 0;
export const NONCE_LENGTH = 24;
export const LOOKUP_OFFSET = NONCE_OFFSET + NONCE_LENGTH; // 24
export const LOOKUP_LENGTH = 8;
export const HEADER_LENGTH = LOOKUP_OFFSET + LOOKUP_LENGTH; // 32, the AEAD's associated data
export const CIPHERTEXT_OFFSET = HEADER_LENGTH; // 32
export const PAYLOAD_LENGTH = 256;
export const AEAD_TAG_LENGTH = 16;
export const KNOCK_TAG_OFFSET = CIPHERTEXT_OFFSET + PAYLOAD_LENGTH + AEAD_TAG_LENGTH; // 304
export const KNOCK_TAG_LENGTH = 32;
export const PACKET_LENGTH = KNOCK_TAG_OFFSET + KNOCK_TAG_LENGTH; // 336

export const ONE_TIME_ID_LENGTH = 16;

export const P_VERSION = 0;
export const P_FLAGS = 1;
export const P_TIMESTAMP = 2;
export const P_ONE_TIME_ID = 10;
export const P_SERVER_ID = 26;
export const P_DURATION = 42;
export const P_FAMILY = 46;
export const P_ADDRESS = 47;
export const P_ACCESS_COUNT = 63;
export const P_ACCESS = 64;

export const FLAG_FROM_SOURCE = 0x01;
export const FLAG_SIGNED = 0x02;
export const SIG_BLOCK_LENGTH = 70;
export const P_SIG_BLOCK = PAYLOAD_LENGTH - SIG_BLOCK_LENGTH; // 186
export const P_SIG_TYPE = P_SIG_BLOCK;
export const P_SIG_FLAGS = P_SIG_BLOCK + 1;
export const P_SIG_COUNTER = P_SIG_BLOCK + 2;
export const P_SIG_VALUE = P_SIG_BLOCK + 6; // 192
export const SIG_VALUE_LENGTH = 64;
export const ACCESS_SERVICE = 1;
export const ACCESS_PORT = 2;
export const ACCESS_MAX = 8;
export const SERVICE_NAME_MAX = 32;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
/** The longest duration a packet can ask for (one day); servers cap it lower. */
export const DURATION_MAX_SECONDS = 86_400;

export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,31}$/;
