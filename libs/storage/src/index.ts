import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Readable } from 'node:stream';

export interface S3StorageOptions {
  /** Omit for AWS itself; set for MinIO, s3rver or any S3-compatible server. */
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
  /** Part size for streamed uploads; memory per upload is about partSizeBytes x queueSize. Default 5 MiB (S3 minimum). */
  partSizeBytes?: number;
}

export interface PutResult {
  key: string;
}

/** Object storage as Earshot uses it. The only code that speaks S3. */
export interface ObjectStorage {
  /** Streams `body` to `key` in bounded memory (multipart above one part). Rejects if the stream errors. */
  putStream(key: string, body: Readable, contentType: string, signal?: AbortSignal): Promise<PutResult>;
  getStream(key: string): Promise<Readable>;
  getBytes(key: string): Promise<Buffer>;
  exists(key: string): Promise<boolean>;
  delete(key: string): Promise<void>;
  /** Every key that starts with `prefix`, in key order. */
  listKeys(prefix: string): Promise<string[]>;
  ensureBucket(): Promise<void>;
  ping(): Promise<void>;
  close(): void;
}

const isNotFound = (error: unknown): boolean => {
  const meta = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return meta.name === 'NotFound' || meta.name === 'NoSuchKey' || meta.$metadata?.httpStatusCode === 404;
};

export function createS3Storage(options: S3StorageOptions): ObjectStorage {
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    // S3-compatible servers (s3rver, some MinIO versions) store aws-chunked framing bytes as data when the SDK
    // streams with default checksums: only send/validate checksums when an operation requires them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = options.bucket;

  return {
    async putStream(key, body, contentType, signal) {
      const upload = new Upload({
        client,
        params: { Bucket, Key: key, Body: body, ContentType: contentType },
        partSize: options.partSizeBytes ?? 5 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort();
      signal?.addEventListener('abort', abort, { once: true });
      // lib-storage does not always notice a source stream error; make it abort the upload.
      const onError = () => void upload.abort();
      body.once('error', onError);
      try {
        await upload.done();
      } finally {
        signal?.removeEventListener('abort', abort);
        body.off('error', onError);
      }
      return { key };
    },
    async getStream(key) {
      const result = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return result.Body as Readable;
    },
    async getBytes(key) {
      const result = await client.send(new GetObjectCommand({ Bucket, Key: key }));
      return Buffer.from(await result.Body!.transformToByteArray());
    },
    async exists(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket, Key: key }));
        return true;
      } catch (error) {
        if (isNotFound(error)) return false;
        throw error;
      }
    },
    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: key }));
    },
    async listKeys(prefix) {
      // ListObjects (v1) paged by the last key: s3rver's v2 continuation tokens use DES, which Node 20's
      // OpenSSL 3 no longer has, so every truncated v2 listing fails there with a 500.
      const keys: string[] = [];
      for (;;) {
        const page = await client.send(new ListObjectsCommand({ Bucket, Prefix: prefix, Marker: keys.at(-1) }));
        for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
        if (!page.IsTruncated || !page.Contents?.length) return keys;
      }
    },
    async ensureBucket() {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        await client.send(new CreateBucketCommand({ Bucket })).catch((createError: { name?: string }) => {
          if (createError.name !== 'BucketAlreadyOwnedByYou' && createError.name !== 'BucketAlreadyExists')
            throw createError;
        });
      }
    },
    async ping() {
      await client.send(new HeadBucketCommand({ Bucket }));
    },
    close() {
      client.destroy();
    },
  };
}
