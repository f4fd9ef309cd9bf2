-- Visual-field measurements carry their eye in Measurement Laterality (0024,0113).
ALTER TABLE instance ADD COLUMN measurement_laterality TEXT;
