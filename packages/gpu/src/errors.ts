/** Base class of every error thrown by `@qo/gpu`; catch this to catch them all. */
export class GpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** No WebGPU adapter could be found (no driver, no `navigator.gpu`, or the `webgpu` package failed to load). */
export class NoAdapterError extends GpuError {}

/** The device was lost (driver reset, `destroy()`, or a fatal error); nothing recorded on it can run. */
export class DeviceLostError extends GpuError {}

/** An allocation failed for lack of GPU memory. */
export class GpuOutOfMemoryError extends GpuError {}

/** WebGPU reported a validation or internal error (a bug in a kernel wrapper or in the caller's buffers). */
export class GpuValidationError extends GpuError {}

/** A WGSL kernel failed to preprocess or compile, or a pipeline could not be created. */
export class ShaderError extends GpuError {}

/** A size, a shape or a buffer length does not fit the op it was given to. */
export class GpuShapeError extends GpuError {}

/** An op was given a dtype it does not implement. */
export class GpuDTypeError extends GpuError {}

/** A buffer that cannot be split by rows is larger than the device lets one binding be. */
export class BindingLimitError extends GpuError {}

/** The adapter lacks a feature or limit an op needs. */
export class MissingFeatureError extends GpuError {}
