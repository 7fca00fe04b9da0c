import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { EgressRecord } from '#domain/egress-record.ts';
import { EgressError } from '#domain/errors.ts';
import { isActive } from '#domain/status.ts';
import type { EgressQuery, EgressStore } from '#ports/egress-store.ts';
import { itemToRecord, recordToItem, type EgressItem } from './egress-item.ts';

/** Name of the GSI ListEgress queries by room: partition `roomName`, sort `createdAt`. */
export const roomIndexName = 'byRoom';

/**
 * {@link EgressStore} on a DynamoDB table (pk `egressId`). Every write is conditional: `create` on the id
 * not existing, `replace` on the stored `version`; the loser of a race gets false and changes nothing.
 */
export class DynamoDbEgressStore implements EgressStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    private readonly table: string,
    client: DynamoDBClient = new DynamoDBClient({}),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async create(record: EgressRecord): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: recordToItem(record),
          ConditionExpression: 'attribute_not_exists(egressId)',
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) {
        throw new EgressError('already_exists', `egress ${record.egressId} already exists`, { cause: err });
      }
      throw err;
    }
  }

  async get(egressId: string, options: { readonly consistent?: boolean } = {}): Promise<EgressRecord | undefined> {
    const res = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: { egressId }, ConsistentRead: options.consistent ?? true }),
    );
    return res.Item === undefined ? undefined : itemToRecord(res.Item as EgressItem);
  }

  async replace(next: EgressRecord, expectedVersion: number): Promise<boolean> {
    if (next.version !== expectedVersion + 1) {
      throw new Error(`replace of ${next.egressId}: version ${next.version} does not follow ${expectedVersion}`);
    }
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.table,
          Item: recordToItem(next),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async list(query: EgressQuery): Promise<EgressRecord[]> {
    let records: EgressRecord[];
    if (query.egressId !== undefined) {
      const one = await this.get(query.egressId);
      records = one === undefined ? [] : [one];
    } else if (query.roomName !== undefined && query.roomName !== '') {
      records = await this.byRoom(query.roomName);
    } else {
      records = await this.scanAll();
    }
    return records
      .filter((r) => query.roomName === undefined || query.roomName === '' || r.roomName === query.roomName)
      .filter((r) => query.active !== true || isActive(r.info.status))
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  private async byRoom(roomName: string): Promise<EgressRecord[]> {
    const out: EgressRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: roomIndexName,
          KeyConditionExpression: 'roomName = :room',
          ExpressionAttributeValues: { ':room': roomName },
          ScanIndexForward: false,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) out.push(itemToRecord(item as EgressItem));
      start = res.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  private async scanAll(): Promise<EgressRecord[]> {
    const out: EgressRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.doc.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      for (const item of res.Items ?? []) out.push(itemToRecord(item as EgressItem));
      start = res.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}
