import type { PersonRecipient } from './notification.js';

/**
 * The delivery ports. Events carry no personal data, so a message is addressed to a recipient id (`user:<uuid>`,
 * `vendor:<uuid>`); an adapter that really sends resolves the address (the user's email or phone, the vendor's
 * contact) from identity when it sends, and never logs it. `reference` is the notification the message belongs to:
 * an adapter records at most one message per reference and channel.
 *
 * The embedded adapters (src/delivery/outbox-senders.ts) write each message to a local outbox table in the
 * notification's own transaction, so a message exists exactly when its notification does.
 */
export interface EmailMessage {
  reference: string;
  to: PersonRecipient;
  subject: string;
  body: string;
}

export interface SmsMessage {
  reference: string;
  to: PersonRecipient;
  body: string;
}

export interface EmailSender {
  sendEmail(message: EmailMessage): Promise<void>;
}

export interface SmsSender {
  sendSms(message: SmsMessage): Promise<void>;
}

export interface Senders {
  email: EmailSender;
  sms: SmsSender;
}
