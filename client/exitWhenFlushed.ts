/**
 * Exits once stdout and stderr have drained. process.exit() right after a large write to a pipe cuts the output at
 * the pipe's buffer (65,536 bytes on Linux) while reporting success: `tradectl orders --json | jq` would read half
 * a document.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const done = () => {
    pending -= 1;
    if (pending === 0) process.exit(code);
  };
  // A write's callback runs once it, and so everything written before it, has been handed to the OS.
  for (const stream of [process.stdout, process.stderr]) stream.write('', done);
}
