// Writes a file so that a crash at any moment leaves either the whole file under its final name
// or nothing there: bytes go to a temporary name, are fsync'd, then renamed, and the directory
// is fsync'd so the rename itself survives a power cut (POSIX rename(2) is atomic).
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';

export async function writeFileDurably(dir: string, tempName: string, finalName: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tempPath = join(dir, tempName);
  try {
    const file = await open(tempPath, 'w');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, join(dir, finalName));
  } catch (err) {
    await unlink(tempPath).catch(() => {});
    throw err;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
