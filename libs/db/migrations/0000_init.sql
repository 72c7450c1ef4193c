CREATE TABLE "audio_sessions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" text NOT NULL,
	"user_id" text NOT NULL,
	"test_session_id" text NOT NULL,
	"start_time" timestamp with time zone DEFAULT now() NOT NULL,
	"end_time" timestamp with time zone,
	"total_duration_seconds" double precision,
	"total_chunks" integer,
	"status" text DEFAULT 'recording' NOT NULL,
	"s3_base_key" text NOT NULL,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"summary" jsonb,
	"missing_chunk_indexes" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"failure_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "audio_sessions_status_check" CHECK (status in ('recording', 'processing', 'completed', 'failed')),
	CONSTRAINT "audio_sessions_total_chunks_check" CHECK ("audio_sessions"."total_chunks" is null or "audio_sessions"."total_chunks" >= 0)
);
--> statement-breakpoint
CREATE TABLE "audio_chunks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"session_id" uuid NOT NULL,
	"chunk_index" integer NOT NULL,
	"start_time_seconds" double precision NOT NULL,
	"end_time_seconds" double precision,
	"duration_seconds" double precision,
	"s3_key" text NOT NULL,
	"file_size_bytes" bigint DEFAULT 0 NOT NULL,
	"compressed_size_bytes" bigint,
	"compression_ratio" double precision,
	"content_sha256" text DEFAULT '' NOT NULL,
	"content_type" text DEFAULT 'audio/webm' NOT NULL,
	"upload_status" text DEFAULT 'receiving' NOT NULL,
	"processing_status" text DEFAULT 'pending' NOT NULL,
	"failure_reason" text,
	"transcription" text,
	"speaker_count" integer,
	"voice_activity_ratio" double precision,
	"suspicious_activity_score" double precision,
	"analysis_results" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"uploaded_at" timestamp with time zone,
	"processed_at" timestamp with time zone,
	CONSTRAINT "audio_chunks_session_chunk_unique" UNIQUE("session_id","chunk_index"),
	CONSTRAINT "audio_chunks_chunk_index_check" CHECK ("audio_chunks"."chunk_index" >= 0),
	CONSTRAINT "audio_chunks_upload_status_check" CHECK (upload_status in ('receiving', 'uploaded')),
	CONSTRAINT "audio_chunks_processing_status_check" CHECK (processing_status in ('pending', 'processing', 'completed', 'failed')),
	CONSTRAINT "audio_chunks_score_check" CHECK ("audio_chunks"."suspicious_activity_score" is null or ("audio_chunks"."suspicious_activity_score" >= 0 and "audio_chunks"."suspicious_activity_score" <= 1))
);
--> statement-breakpoint
ALTER TABLE "audio_chunks" ADD CONSTRAINT "audio_chunks_session_id_audio_sessions_id_fk" FOREIGN KEY ("session_id") REFERENCES "public"."audio_sessions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audio_sessions_user_test_idx" ON "audio_sessions" USING btree ("user_id","test_session_id");--> statement-breakpoint
CREATE INDEX "audio_sessions_org_created_idx" ON "audio_sessions" USING btree ("org_id","created_at");--> statement-breakpoint
CREATE INDEX "audio_sessions_status_idx" ON "audio_sessions" USING btree ("status");--> statement-breakpoint
CREATE INDEX "audio_sessions_created_at_idx" ON "audio_sessions" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "audio_chunks_upload_status_idx" ON "audio_chunks" USING btree ("upload_status");--> statement-breakpoint
CREATE INDEX "audio_chunks_processing_status_idx" ON "audio_chunks" USING btree ("processing_status");--> statement-breakpoint
CREATE INDEX "audio_chunks_created_at_idx" ON "audio_chunks" USING btree ("created_at");