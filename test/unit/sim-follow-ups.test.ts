import { DescribeTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, GetCommand, PutCommand, QueryCommand, ScanCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { tablesWritten } from '../../sim/follow-ups.js';

describe('sim follow-ups: which streams a command can feed', () => {
  it('reads change nothing', () => {
    expect(tablesWritten(new GetCommand({ TableName: 'a', Key: { id: '1' } }))).toEqual([]);
    expect(tablesWritten(new BatchGetCommand({ RequestItems: { a: { Keys: [{ id: '1' }] } } }))).toEqual([]);
    expect(tablesWritten(new QueryCommand({ TableName: 'a', KeyConditionExpression: 'id = :i' }))).toEqual([]);
    expect(tablesWritten(new ScanCommand({ TableName: 'a' }))).toEqual([]);
  });

  it('a write names its tables, a transaction every table in it', () => {
    expect(tablesWritten(new PutCommand({ TableName: 'a', Item: { id: '1' } }))).toEqual(['a']);
    expect(tablesWritten(new UpdateCommand({ TableName: 'b', Key: { id: '1' }, UpdateExpression: 'SET x = :x' }))).toEqual(['b']);
    expect(tablesWritten(new DeleteCommand({ TableName: 'c', Key: { id: '1' } }))).toEqual(['c']);
    expect(tablesWritten(new PutItemCommand({ TableName: 'd', Item: { id: { S: '1' } } }))).toEqual(['d']);
    const transaction = tablesWritten(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: 'a', Item: { id: '1' } } },
          { Update: { TableName: 'b', Key: { id: '1' }, UpdateExpression: 'SET x = :x' } },
          { Delete: { TableName: 'a', Key: { id: '2' } } },
        ],
      }),
    );
    expect(transaction === 'unknown' ? transaction : [...transaction].sort()).toEqual(['a', 'b']);
    expect(tablesWritten(new BatchWriteCommand({ RequestItems: { a: [{ PutRequest: { Item: { id: '1' } } }], e: [] } }))).toEqual(['a', 'e']);
  });

  it('a command it does not know may have changed anything', () => {
    expect(tablesWritten(new DescribeTableCommand({ TableName: 'a' }))).toBe('unknown');
    expect(tablesWritten({})).toBe('unknown');
  });
});
