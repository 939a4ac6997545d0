'use strict';
/**
 * The shell's log file: one append-only text file in the user's log folder, holding the shell's
 * own messages and everything the backend printed. When it grows past `maxBytes` it is moved to
 * `<name>.1` at the next launch, so two launches' worth of history survive.
 */

const fs = require('node:fs');
const path = require('node:path');

/** Opens `filePath` for appending (rotating it first if too big); returns the write stream. */
function openLogStream(filePath, { maxBytes = 5 * 1024 * 1024 } = {}) {
  fs.mkdirSync(path.dirname(filePath), { recursive: true });
  try {
    if (fs.statSync(filePath).size > maxBytes) fs.renameSync(filePath, `${filePath}.1`);
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const stream = fs.createWriteStream(filePath, { flags: 'a' });
  // A full disk or a vanished folder must not take the app down: the log is best effort.
  stream.on('error', (err) => console.error(`reelforge log ${filePath}: ${err.message}`));
  return stream;
}

/** One log line: ISO time, where it came from, the text (newlines escaped to keep one line). */
function formatLogLine(source, text, date = new Date()) {
  return `${date.toISOString()} [${source}] ${String(text).replace(/\r?\n/g, '\\n')}\n`;
}

module.exports = { openLogStream, formatLogLine };
