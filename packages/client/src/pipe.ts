/**
 * `proxy`'s data path: bytes from `input` to the socket and from the socket to `output`,
 * until either side closes. stdin's end is passed on as a half-close; the socket's end ends
 * everything (ssh then sees the connection closed).
 */
import type { Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';

export function pipeBoth(socket: Socket, input: Readable, output: Writable): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      input.unpipe(socket);
      socket.unpipe(output);
      input.pause();
      socket.destroy();
      resolve();
    };
    input.pipe(socket, { end: true }); // stdin EOF → FIN to the server
    socket.pipe(output, { end: false });
    socket.on('error', finish);
    socket.on('close', finish);
    input.on('error', finish);
    output.on('error', finish);
  });
}
