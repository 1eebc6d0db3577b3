//go:build amd64 && !purego

#include "textflag.h"

// One step of the inner product: two 8-float loads of the packed B row
// (Y0, Y1), six broadcasts of the packed A column (alternating Y2, Y3) and
// twelve fused multiply-adds into the accumulators Y4..Y15, where row i of
// the tile lives in Y(4+2i) (columns 0-7) and Y(5+2i) (columns 8-15).
#define STEP \
	VMOVUPS      (DI), Y0;      \
	VMOVUPS      32(DI), Y1;    \
	VBROADCASTSS (SI), Y2;      \
	VFMADD231PS  Y0, Y2, Y4;    \
	VFMADD231PS  Y1, Y2, Y5;    \
	VBROADCASTSS 4(SI), Y3;     \
	VFMADD231PS  Y0, Y3, Y6;    \
	VFMADD231PS  Y1, Y3, Y7;    \
	VBROADCASTSS 8(SI), Y2;     \
	VFMADD231PS  Y0, Y2, Y8;    \
	VFMADD231PS  Y1, Y2, Y9;    \
	VBROADCASTSS 12(SI), Y3;    \
	VFMADD231PS  Y0, Y3, Y10;   \
	VFMADD231PS  Y1, Y3, Y11;   \
	VBROADCASTSS 16(SI), Y2;    \
	VFMADD231PS  Y0, Y2, Y12;   \
	VFMADD231PS  Y1, Y2, Y13;   \
	VBROADCASTSS 20(SI), Y3;    \
	VFMADD231PS  Y0, Y3, Y14;   \
	VFMADD231PS  Y1, Y3, Y15;   \
	ADDQ         $24, SI;       \
	ADDQ         $64, DI

// Store (or add into) one row of the tile at DX, then advance DX by ldc.
#define STOREROW(lo, hi) \
	VMOVUPS lo, (DX);   \
	VMOVUPS hi, 32(DX); \
	ADDQ    R8, DX

#define ADDROW(lo, hi) \
	VADDPS  (DX), lo, lo;   \
	VADDPS  32(DX), hi, hi; \
	VMOVUPS lo, (DX);       \
	VMOVUPS hi, 32(DX);     \
	ADDQ    R8, DX

// func kern6x16AVX2(kc int, a, b, c *float32, ldc int, acc bool)
TEXT ·kern6x16AVX2(SB), NOSPLIT, $0-41
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DI
	MOVQ c+24(FP), DX
	MOVQ ldc+32(FP), R8
	SHLQ $2, R8

	// Fetch the C tile (both ends of each 64-byte row) while the inner
	// product runs; a prefetch never faults.
	MOVQ       DX, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)
	ADDQ       R8, R10
	PREFETCHT0 (R10)
	PREFETCHT0 60(R10)

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	MOVQ CX, BX
	SHRQ $2, BX
	ANDQ $3, CX
	TESTQ BX, BX
	JZ   tail

loop4:
	STEP
	STEP
	STEP
	STEP
	DECQ BX
	JNZ  loop4

tail:
	TESTQ CX, CX
	JZ    done

loop1:
	STEP
	DECQ CX
	JNZ  loop1

done:
	MOVBQZX acc+40(FP), AX
	TESTQ   AX, AX
	JNZ     accumulate

	STOREROW(Y4, Y5)
	STOREROW(Y6, Y7)
	STOREROW(Y8, Y9)
	STOREROW(Y10, Y11)
	STOREROW(Y12, Y13)
	STOREROW(Y14, Y15)
	VZEROUPPER
	RET

accumulate:
	ADDROW(Y4, Y5)
	ADDROW(Y6, Y7)
	ADDROW(Y8, Y9)
	ADDROW(Y10, Y11)
	ADDROW(Y12, Y13)
	ADDROW(Y14, Y15)
	VZEROUPPER
	RET
