-- A rejection's coded reason beside its words (core/review.ts rejectReasonCodes), so that governance can count
-- rejections per reason and analyzer. Older rows have none; a rejection still always has its reason in words (the
-- code's meaning when the reviewer wrote none).
ALTER TABLE finding_review
  ADD COLUMN reason_code TEXT CHECK (reason_code IS NULL OR decision = 'reject');
