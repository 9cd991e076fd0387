// dawn.node (the `webgpu` package) settles its promises from the event loop but holds no handle on
// it: awaiting a GPU promise with nothing else pending lets Node exit mid-await. While any such
// promise is pending, one interval keeps the loop alive (harmless in browsers).

let pending = 0;
let timer: ReturnType<typeof setInterval> | undefined;

/** `p`, with the event loop kept alive until it settles. */
export async function alive<T>(p: Promise<T>): Promise<T> {
  if (pending++ === 0) timer = setInterval(() => {}, 1000);
  try {
    return await p;
  } finally {
    if (--pending === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  }
}
