/** The data cannot be read as the format says; the message says where and why. */
export class InferError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InferError";
  }
}
