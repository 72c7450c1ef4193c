ALTER TABLE "audio_sessions" DROP CONSTRAINT "audio_sessions_status_check";--> statement-breakpoint
ALTER TABLE "audio_sessions" ADD COLUMN "stream_lost_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "audio_sessions" ADD COLUMN "stream_gaps" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "audio_sessions" ADD COLUMN "abandoned_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "audio_chunks_receiving_updated_at_idx" ON "audio_chunks" USING btree ("updated_at") WHERE "audio_chunks"."upload_status" = 'receiving';--> statement-breakpoint
ALTER TABLE "audio_sessions" ADD CONSTRAINT "audio_sessions_status_check" CHECK (status in ('recording', 'processing', 'completed', 'failed', 'abandoned'));