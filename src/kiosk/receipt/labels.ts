// Everything a receipt prints that is not a value from the model, per language.
// The privacy test allows exactly these words (and the model's values) on paper.

import type { ReceiptOutcome, TxKind } from '../machines/contracts';
import type { ReceiptLanguage, ReceiptLineKey } from './model';

export interface ReceiptLabels {
  readonly title: string;
  readonly outcome: Readonly<Record<ReceiptOutcome, string>>;
  readonly service_name: Readonly<Record<TxKind, string>>;
  readonly date: string;
  readonly kiosk: string;
  readonly service: string;
  readonly card: string;
  readonly amount: string;
  readonly balance: string;
  readonly transaction: string;
  readonly duplicate: string;
  /** Printed under the QR code. */
  readonly footer: readonly string[];
  /** Printed when the service was not done and the money is not back yet. */
  readonly refund_failed_note: string;
  /** The labels of the service's own lines. */
  readonly line: Readonly<Record<ReceiptLineKey, string>>;
}

export const RECEIPT_LABELS: Readonly<Record<ReceiptLanguage, ReceiptLabels>> = {
  es: {
    title: 'Recibo',
    outcome: {
      paid: 'Pago realizado',
      credited_back: 'Pago devuelto a la tarjeta',
      refund_recorded: 'Reembolso registrado',
      refund_failed: 'Servicio no realizado',
      top_up: 'Recarga realizada',
      void: 'Recarga anulada',
    },
    service_name: {
      library_fine: 'Multa de biblioteca',
      parking: 'Estacionamiento',
      citation: 'Multa de estacionamiento',
      top_up: 'Recarga de saldo',
      void: 'Anulación de recarga',
      credit_back: 'Devolución a la tarjeta',
      opening_balance: 'Saldo inicial',
      replacement: 'Saldo de tarjeta reemplazada',
    },
    date: 'Fecha',
    kiosk: 'Quiosco',
    service: 'Servicio',
    card: 'Tarjeta',
    amount: 'Importe',
    balance: 'Saldo en la tarjeta',
    transaction: 'Transacción',
    duplicate: 'DUPLICADO',
    footer: ['Guarde este recibo.', '¿Preguntas? Indique el número de transacción.', '¡Gracias!'],
    refund_failed_note: 'Pida ayuda al personal con este recibo.',
    line: {
      'library.fines_paid': 'Multas pagadas',
      'parking.zone': 'Zona',
      'parking.space': 'Plaza',
      'parking.expires_at': 'Válido hasta',
      'parking.plate_tail': 'Matrícula (final)',
      'citation.number': 'N.º de multa',
    },
  },
  en: {
    title: 'Receipt',
    outcome: {
      paid: 'Payment complete',
      credited_back: 'Payment returned to card',
      refund_recorded: 'Refund recorded',
      refund_failed: 'Service not completed',
      top_up: 'Top-up complete',
      void: 'Top-up voided',
    },
    service_name: {
      library_fine: 'Library fine',
      parking: 'Parking',
      citation: 'Parking citation',
      top_up: 'Card top-up',
      void: 'Top-up void',
      credit_back: 'Credit back to card',
      opening_balance: 'Opening balance',
      replacement: 'Balance from replaced card',
    },
    date: 'Date',
    kiosk: 'Kiosk',
    service: 'Service',
    card: 'Card',
    amount: 'Amount',
    balance: 'Card balance',
    transaction: 'Transaction',
    duplicate: 'DUPLICATE',
    footer: ['Keep this receipt.', 'Questions? Give the transaction number.', 'Thank you!'],
    refund_failed_note: 'Ask staff for help with this receipt.',
    line: {
      'library.fines_paid': 'Fines paid',
      'parking.zone': 'Zone',
      'parking.space': 'Space',
      'parking.expires_at': 'Valid until',
      'parking.plate_tail': 'Plate ending',
      'citation.number': 'Citation no.',
    },
  },
  pt: {
    title: 'Recibo',
    outcome: {
      paid: 'Pagamento efetuado',
      credited_back: 'Pagamento devolvido ao cartão',
      refund_recorded: 'Reembolso registrado',
      refund_failed: 'Serviço não realizado',
      top_up: 'Recarga efetuada',
      void: 'Recarga anulada',
    },
    service_name: {
      library_fine: 'Multa da biblioteca',
      parking: 'Estacionamento',
      citation: 'Multa de estacionamento',
      top_up: 'Recarga de saldo',
      void: 'Anulação de recarga',
      credit_back: 'Devolução ao cartão',
      opening_balance: 'Saldo inicial',
      replacement: 'Saldo do cartão substituído',
    },
    date: 'Data',
    kiosk: 'Quiosque',
    service: 'Serviço',
    card: 'Cartão',
    amount: 'Valor',
    balance: 'Saldo no cartão',
    transaction: 'Transação',
    duplicate: 'DUPLICADO',
    footer: ['Guarde este recibo.', 'Dúvidas? Informe o número da transação.', 'Obrigado!'],
    refund_failed_note: 'Peça ajuda à equipe com este recibo.',
    line: {
      'library.fines_paid': 'Multas pagas',
      'parking.zone': 'Zona',
      'parking.space': 'Vaga',
      'parking.expires_at': 'Válido até',
      'parking.plate_tail': 'Placa (final)',
      'citation.number': 'Nº da multa',
    },
  },
};
